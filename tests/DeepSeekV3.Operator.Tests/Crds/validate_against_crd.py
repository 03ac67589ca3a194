"""Validate DeepSeekDeployment documents against the openAPIV3Schema of a generated CRD with python3-jsonschema.

usage: validate_against_crd.py CRD.yaml FILE...   (FILE may be - for standard input; YAML or JSON, multi-document)
       validate_against_crd.py --json-schema SCHEMA.json FILE   (a plain JSON Schema, e.g. the chart's values.schema.json)
Prints "valid NAME" or "invalid NAME: PATH: MESSAGE" per DeepSeekDeployment document; exit 1 if any is invalid.
Structural-schema extensions (x-kubernetes-*) are not JSON Schema keywords and are ignored by the validator;
CEL rules are checked by the C# SpecValidator, which the tests hold to the same cases.
"""
import sys

import jsonschema
import yaml


def main(crd_path, files):
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema = version["schema"]["openAPIV3Schema"]
    jsonschema.Draft4Validator.check_schema(schema)
    validator = jsonschema.Draft4Validator(schema)
    failed = False
    for path in files:
        text = sys.stdin.read() if path == "-" else open(path).read()
        for document in yaml.safe_load_all(text):
            if not document or document.get("kind") != crd["spec"]["names"]["kind"]:
                continue
            name = document.get("metadata", {}).get("name", "?")
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
            if errors:
                failed = True
                for error in errors:
                    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                    print(f"invalid {name}: {where}: {error.message}")
            else:
                print(f"valid {name}")
    return 1 if failed else 0


def main_json_schema(schema_path, path):
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    text = sys.stdin.read() if path == "-" else open(path).read()
    errors = sorted(validator_class(schema).iter_errors(yaml.safe_load(text)), key=lambda e: list(e.absolute_path))
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"invalid: {where}: {error.message}")
    if not errors:
        print("valid")
    return 1 if errors else 0


if __name__ == "__main__":
    if sys.argv[1] == "--json-schema":
        sys.exit(main_json_schema(sys.argv[2], sys.argv[3]))
    sys.exit(main(sys.argv[1], sys.argv[2:]))
