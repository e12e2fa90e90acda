{{/* Names and labels shared by every template. */}}

{{- define "darkroom.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "darkroom.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "darkroom.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "darkroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "darkroom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "darkroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one role; call with (dict "root" $ "role" "api"). */}}
{{- define "darkroom.roleSelectorLabels" -}}
{{ include "darkroom.selectorLabels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{/* The roles this release runs, as a JSON list: api and worker, and transform when enabled. Use with
     (include "darkroom.roles" $ | fromJsonArray). */}}
{{- define "darkroom.roles" -}}
{{- $roles := list "api" "worker" -}}
{{- if .Values.transform.enabled -}}
{{- $roles = append $roles "transform" -}}
{{- end -}}
{{- toJson $roles -}}
{{- end -}}

{{- define "darkroom.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "darkroom.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "darkroom.secretName" -}}
{{- default (printf "%s-secrets" (include "darkroom.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "darkroom.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The server's worst-case drain after SIGTERM: the preStop sleep, in-flight requests, then jobs. */}}
{{- define "darkroom.terminationGrace" -}}
{{- add .preStop (mul 2 .grace) 5 -}}
{{- end -}}
