{{- define "deepseek-operator.name" -}}deepseek-operator{{- end -}}

{{- define "deepseek-operator.labels" -}}
app.kubernetes.io/name: deepseek-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: deepseekv3-cluster
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "deepseek-operator.selector" -}}
app.kubernetes.io/name: deepseek-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
