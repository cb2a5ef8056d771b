{{/* Object names: the release name, or <release>-<chart> when the release name lacks the chart's. */}}
{{- define "streamspace.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "streamspace.fullname" -}}
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

{{/* Labels every object carries besides its selector labels (streamspace.componentLabels adds those). */}}
{{- define "streamspace.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Selector labels of one component; call with (dict "ctx" $ "component" "control-plane").
streamspace.io/component is what the agent's per-session NetworkPolicies select: VNC is admitted
only from pods labelled streamspace.io/component=agent.
*/}}
{{- define "streamspace.selectorLabels" -}}
app.kubernetes.io/name: {{ include "streamspace.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
streamspace.io/component: {{ .component }}
{{- end -}}

{{- define "streamspace.componentLabels" -}}
{{ include "streamspace.labels" .ctx }}
{{ include "streamspace.selectorLabels" . }}
{{- end -}}

{{/* Secret names: the user's existing Secret, or the one this chart creates. */}}
{{- define "streamspace.adminSecretName" -}}
{{- default (printf "%s-admin-credentials" (include "streamspace.fullname" .)) .Values.admin.existingSecret -}}
{{- end -}}

{{- define "streamspace.secretsName" -}}
{{- default (printf "%s-secrets" (include "streamspace.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "streamspace.postgresqlName" -}}
{{- printf "%s-postgresql" (include "streamspace.fullname" .) -}}
{{- end -}}

{{/* The agent's Deployment (and its NetworkPolicy): <fullname>-k8s-agent, the seed's name. */}}
{{- define "streamspace.agentName" -}}
{{- printf "%s-k8s-agent" (include "streamspace.fullname" .) -}}
{{- end -}}

{{/*
The agent's identity: its ServiceAccount, Role and RoleBinding are <fullname>-agent. The Role is
in the session namespace only, so for a release `streamspace` in namespace `streamspace`
`kubectl auth can-i create deployments -n streamspace-sessions --as system:serviceaccount:streamspace:streamspace-agent`
answers yes, and the same question for `-n streamspace` (the seed's check) answers no.
*/}}
{{- define "streamspace.agentServiceAccountName" -}}
{{- printf "%s-agent" (include "streamspace.fullname" .) -}}
{{- end -}}

{{/* Sessions run in a namespace of their own by default: <release>-sessions. */}}
{{- define "streamspace.sessionNamespace" -}}
{{- default (printf "%s-sessions" .Release.Name) .Values.k8sAgent.config.sessionNamespace -}}
{{- end -}}

{{/* "true" when the chart creates the session namespace: asked to, and it is not the release's. */}}
{{- define "streamspace.createsSessionNamespace" -}}
{{- if and .Values.k8sAgent.enabled .Values.k8sAgent.createSessionNamespace (ne (include "streamspace.sessionNamespace" .) .Release.Namespace) -}}
true
{{- end -}}
{{- end -}}

{{/* Image reference; the tag defaults to the chart's appVersion. Call with (dict "ctx" $ "image" .Values.image). */}}
{{- define "streamspace.image" -}}
{{- printf "%s:%s" .image.repository (toString (default .ctx.Chart.AppVersion .image.tag)) -}}
{{- end -}}

{{/*
A Secret value generated once and then kept: on upgrade `lookup` finds the Secret this chart
created before and its value is reused, so passwords and tokens do not change under running pods
(the seed's admin-password mismatch). Returns the base64 value for a Secret's `data`.
Call with (dict "ctx" $ "name" <secret name> "key" <key> "length" <characters>).
*/}}
{{- define "streamspace.keptSecretValue" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace .name -}}
{{- $data := dig "data" (dict) $existing -}}
{{- if hasKey $data .key -}}
{{- index $data .key -}}
{{- else -}}
{{- randAlphaNum .length | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Milliseconds in a duration as the control plane and agent read it (e.g. 10s, 1m30s, 500ms). */}}
{{- define "streamspace.durationMs" -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ms|s|m|h)" . -1 -}}
{{- $amount := regexFind "^[0-9]+(\\.[0-9]+)?" . -}}
{{- $unit := trimPrefix $amount . -}}
{{- $total = addf $total (mulf (float64 $amount) (get (dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000) $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/*
Refuses combinations of values the programs would refuse at start, so a bad install fails at
`helm install` instead of in a crash-looping pod. Each value on its own (types, enums, durations,
quantities, unknown keys, ingress.host when the ingress is on) is checked by values.schema.json,
which helm applies before rendering.
*/}}
{{- define "streamspace.validate" -}}
{{- $external := or .Values.database.host .Values.database.existingSecret -}}
{{- if and .Values.postgresql.enabled $external -}}
{{- fail "database.host/database.existingSecret point at an external PostgreSQL while postgresql.enabled=true runs the bundled one: set postgresql.enabled=false to use the external server" -}}
{{- end -}}
{{- if and .Values.database.host .Values.database.existingSecret -}}
{{- fail "database.host and database.existingSecret: set one of them (the Secret carries host, port, database, username and password)" -}}
{{- end -}}
{{- if not (or .Values.postgresql.enabled $external) -}}
{{- fail "database.host is required: the control plane in Kubernetes needs PostgreSQL. Set database.host (and database.user/password or database.existingSecret), or postgresql.enabled=true for an evaluation database" -}}
{{- end -}}
{{- if and (not .Values.controlPlane.auth.localLogin) (not .Values.controlPlane.auth.oidc.issuerUrl) -}}
{{- fail "controlPlane.auth.localLogin=false needs controlPlane.auth.oidc.issuerUrl: without single sign-on only the bootstrap admin could log in" -}}
{{- end -}}
{{- if and .Values.k8sAgent.enabled (not .Values.k8sAgent.config.controlPlaneURL) -}}
{{- /* The seeds' heartbeat bug: an interval not below half the timeout makes agents flap offline. */ -}}
{{- $interval := float64 (include "streamspace.durationMs" .Values.k8sAgent.config.heartbeatInterval) -}}
{{- $timeout := float64 (include "streamspace.durationMs" .Values.controlPlane.agentHeartbeatTimeout) -}}
{{- if ge (mulf $interval 2) $timeout -}}
{{- fail (printf "k8sAgent.config.heartbeatInterval: %s is not below half of controlPlane.agentHeartbeatTimeout (%s)" .Values.k8sAgent.config.heartbeatInterval .Values.controlPlane.agentHeartbeatTimeout) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* PUBLIC_URL: the explicit value, else the ingress host. */}}
{{- define "streamspace.publicUrl" -}}
{{- if .Values.controlPlane.publicUrl -}}
{{- .Values.controlPlane.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* CONTROL_PLANE_URL for the agent: the explicit value, else this release's Service. */}}
{{- define "streamspace.controlPlaneURL" -}}
{{- if .Values.k8sAgent.config.controlPlaneURL -}}
{{- .Values.k8sAgent.config.controlPlaneURL -}}
{{- else -}}
{{- printf "ws://%s.%s.svc:%d/agent/ws" (include "streamspace.fullname" .) .Release.Namespace (int .Values.service.port) -}}
{{- end -}}
{{- end -}}

{{/* Container hardening shared by the control plane and the agent. */}}
{{- define "streamspace.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "streamspace.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}
