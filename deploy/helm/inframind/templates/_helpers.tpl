{{/* Names, labels, images and the one config file every InfraMind pod reads. */}}

{{- define "inframind.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "inframind.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: include with (list $ "analyzer"). */}}
{{- define "inframind.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "inframind.image" -}}
{{- $root := index . 0 -}}
{{- $image := index $root.Values.image (index . 1) -}}
{{- printf "%s%s:%s" $root.Values.image.registry $image.repository (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "inframind.secretName" -}}
{{- default (include "inframind.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "inframind.serviceAccountName" -}}
{{- include "inframind.fullname" . -}}
{{- end -}}

{{/* Refuse combinations that would start but not work. */}}
{{- define "inframind.validate" -}}
{{- $a := .Values.analyzer -}}
{{- if and $a.enabled (gt (int $a.replicas) 1) (ne $a.state.backend "postgres") -}}
{{- fail "analyzer.replicas > 1 needs analyzer.state.backend: postgres (replicas share their state and leases there)" -}}
{{- end -}}
{{- if and $a.enabled (eq $a.state.backend "postgres") (not .Values.secrets.existingSecret) (not .Values.secrets.stateDsn) -}}
{{- fail "analyzer.state.backend postgres needs secrets.stateDsn (or secrets.existingSecret with key state-dsn)" -}}
{{- end -}}
{{- if and $a.enabled $a.persistence.enabled (gt (int $a.replicas) 1) -}}
{{- fail "analyzer.persistence is one ReadWriteOnce volume: use it with analyzer.replicas: 1 only" -}}
{{- end -}}
{{- if and $a.enabled (eq .Values.logstore.type "sqlite") (gt (int $a.replicas) 1) -}}
{{- fail "logstore.type sqlite is a file of one analyzer: use opensearch with analyzer.replicas > 1" -}}
{{- end -}}
{{- if and .Values.agent.enabled (not .Values.analyzer.enabled) -}}
{{- fail "the agents ship logs through the analyzer's ingest API: agent.enabled needs analyzer.enabled" -}}
{{- end -}}
{{- if and .Values.agent.enabled (not .Values.secrets.existingSecret) (not .Values.secrets.agentToken) -}}
{{- fail "agent.enabled needs secrets.agentToken (an operator token; its hash goes in analyzer.tokens)" -}}
{{- end -}}
{{- if lt (int $a.shards) 1 -}}
{{- fail "analyzer.shards must be at least 1" -}}
{{- end -}}
{{- end -}}

{{/* inframind.yml: secrets appear only as env:NAME references, filled from the Secret by each pod. */}}
{{- define "inframind.config" -}}
{{- $v := .Values -}}
{{- $metrics := dict "path_prefix" $v.victoriametrics.pathPrefix -}}
{{- $analyzer := dict "listen" "0.0.0.0:8050" "state_dir" "/var/lib/inframind/analyzer" "victoriametrics_url" $v.victoriametrics.url "public_metrics" $v.analyzer.publicMetrics "tokens" $v.analyzer.tokens "metrics" $metrics -}}
{{- $state := dict "backend" $v.analyzer.state.backend "connect_timeout" $v.analyzer.state.connectTimeout -}}
{{- if eq $v.analyzer.state.backend "postgres" -}}
{{- $_ := set $state "dsn" "env:INFRAMIND_STATE_DSN" -}}
{{- end -}}
{{- $_ := set $analyzer "state" $state -}}
{{- $_ := set $analyzer "replicas" (dict "shards" (int $v.analyzer.shards) "lease_ttl" $v.analyzer.leaseTtl) -}}
{{- $analyzer = mustMergeOverwrite $analyzer (deepCopy $v.analyzer.config) -}}
{{- $exporter := mustMergeOverwrite (dict "listen" "0.0.0.0:10121") (deepCopy $v.exporter.config) -}}
{{- $sink := dict "type" "http" "url" (printf "http://%s-analyzer:8050" (include "inframind.fullname" .)) "token" "env:INFRAMIND_AGENT_TOKEN" -}}
{{- $agent := dict "listen" "0.0.0.0:10122" "state_dir" "/var/lib/inframind/agent" "files" $v.agent.files "sink" $sink -}}
{{- if $v.agent.syslog.enabled -}}
{{- $_ := set $agent "syslog" (dict "udp" "0.0.0.0:5514" "tcp" "0.0.0.0:5514") -}}
{{- end -}}
{{- $agent = mustMergeOverwrite $agent (deepCopy $v.agent.config) -}}
{{- $logstore := dict "type" $v.logstore.type -}}
{{- if eq $v.logstore.type "opensearch" -}}
{{- $os := $v.logstore.opensearch -}}
{{- $opensearch := dict "hosts" $os.hosts "verify_certs" $os.verifyCerts "index_prefix" $os.indexPrefix "retention_days" (int $os.retentionDays) "shards" (int $os.shards) "replicas" (int $os.replicas) -}}
{{- if $os.username -}}
{{- $_ := set $opensearch "username" $os.username -}}
{{- $_ := set $opensearch "password" "env:INFRAMIND_OPENSEARCH_PASSWORD" -}}
{{- end -}}
{{- if $os.caSecret -}}
{{- $_ := set $opensearch "ca_certs" "/etc/inframind/opensearch/ca.crt" -}}
{{- end -}}
{{- $_ := set $logstore "opensearch" $opensearch -}}
{{- else -}}
{{- $_ := set $logstore "sqlite" (dict "path" "/var/lib/inframind/analyzer/logs.db") -}}
{{- end -}}
{{- $config := dict "exporter" $exporter "agent" $agent "analyzer" $analyzer "logstore" $logstore "log" (dict "level" $v.log.level "format" $v.log.format) -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The env every InfraMind container gets from the Secret (keys that may be absent are optional). */}}
{{- define "inframind.secretEnv" -}}
{{- $root := index . 0 -}}
{{- range $pair := index . 1 }}
- name: {{ index $pair 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "inframind.secretName" $root }}
      key: {{ index $pair 1 }}
      optional: {{ index $pair 2 }}
{{- end -}}
{{- end -}}
