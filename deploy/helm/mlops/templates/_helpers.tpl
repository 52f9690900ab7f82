{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "mlops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name: <release>-<chart>, or the release alone when it contains the chart name. */}}
{{- define "mlops.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects: mlops.componentName (dict "root" $ "component" "nats") */}}
{{- define "mlops.componentName" -}}
{{- printf "%s-%s" (include "mlops.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mlops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object: mlops.labels (dict "root" $ "component" "gateway") */}}
{{- define "mlops.labels" -}}
helm.sh/chart: {{ include "mlops.chart" .root }}
{{ include "mlops.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: {{ include "mlops.name" .root }}
{{- end }}

{{/* Selector labels: mlops.selectorLabels (dict "root" $ "component" "gateway") */}}
{{- define "mlops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mlops.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* Image reference: mlops.image (dict "root" $ "image" .Values.services.gateway.image) */}}
{{- define "mlops.image" -}}
{{- $image := merge (deepCopy (default dict .image)) .root.Values.image }}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}

{{- define "mlops.imagePullPolicy" -}}
{{- $image := merge (deepCopy (default dict .image)) .root.Values.image }}
{{- $image.pullPolicy }}
{{- end }}

{{/* ServiceAccount of services without Kubernetes access (no API token). */}}
{{- define "mlops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "mlops.fullname" . }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* ServiceAccount bound to the Role that manages Jobs, Deployments, Services, HPAs, pods. */}}
{{- define "mlops.controllerServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "mlops.componentName" (dict "root" . "component" "controller") }}
{{- else }}
{{- default "default" .Values.serviceAccount.controllerName }}
{{- end }}
{{- end }}

{{/* MLOPS_NATS_URL: the in-cluster NATS, or nats.url. */}}
{{- define "mlops.natsUrl" -}}
{{- if .Values.nats.enabled }}
{{- printf "nats://%s:4222" (include "mlops.componentName" (dict "root" . "component" "nats")) }}
{{- else }}
{{- required "nats.url is required when nats.enabled=false" .Values.nats.url }}
{{- end }}
{{- end }}

{{/* Secret holding MLOPS_DATABASE_URL, and its key. */}}
{{- define "mlops.databaseSecretName" -}}
{{- default (include "mlops.componentName" (dict "root" . "component" "database")) .Values.database.existingSecret }}
{{- end }}

{{- define "mlops.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecretKey }}
{{- else -}}
MLOPS_DATABASE_URL
{{- end }}
{{- end }}

{{/* Secret holding the in-cluster PostgreSQL password, and its key. */}}
{{- define "mlops.postgresqlSecretName" -}}
{{- default (include "mlops.componentName" (dict "root" . "component" "postgresql")) .Values.postgresql.auth.existingSecret }}
{{- end }}

{{- define "mlops.postgresqlSecretKey" -}}
{{- if .Values.postgresql.auth.existingSecret }}
{{- .Values.postgresql.auth.existingSecretKey }}
{{- else -}}
POSTGRES_PASSWORD
{{- end }}
{{- end }}

{{/* Whether services connect to NATS as their own users (nats.auth). */}}
{{- define "mlops.natsAuth" -}}
{{- if .Values.nats.auth.enabled }}
{{- if and (not .Values.nats.enabled) (not .Values.nats.auth.existingSecret) }}
{{- fail "nats.auth.existingSecret is required with nats.auth.enabled and an external NATS (nats.enabled=false): a Secret with the passwords of its users MLOPS_NATS_PASSWORD_<SERVICE>, or set nats.auth.enabled=false" }}
{{- end -}}
true
{{- end }}
{{- end }}

{{/* Secret holding each service's NATS password under MLOPS_NATS_PASSWORD_<SERVICE>. */}}
{{- define "mlops.natsAuthSecretName" -}}
{{- default (include "mlops.componentName" (dict "root" . "component" "nats-auth")) .Values.nats.auth.existingSecret }}
{{- end }}

{{/* The key of a service's NATS password in that Secret: mlops.natsPasswordKey "gateway" */}}
{{- define "mlops.natsPasswordKey" -}}
{{- printf "MLOPS_NATS_PASSWORD_%s" (upper .) }}
{{- end }}

{{/* Secret holding the gateway's MLOPS_SECRET_KEY and MLOPS_ADMIN_PASSWORD. */}}
{{- define "mlops.gatewaySecretName" -}}
{{- default (include "mlops.componentName" (dict "root" . "component" "gateway")) .Values.gateway.existingSecret }}
{{- end }}
