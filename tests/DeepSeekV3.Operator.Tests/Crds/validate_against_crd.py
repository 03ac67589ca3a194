"""Validate DeepSeekDeployment documents against the openAPIV3Schema of a generated CRD with python3-jsonschema.

usage: validate_against_crd.py CRD.yaml FILE...   (FILE may be - for standard input; YAML or JSON, multi-document)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
