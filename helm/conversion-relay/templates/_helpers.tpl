{{- define "conversion-relay.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "conversion-relay.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The relay's pods. Unchanged since 0.1.0 (a workload's selector is immutable), so it also
     matches the retry consumer's pods: the Service scrapes both; the PDB excludes them. */}}
{{- define "conversion-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "conversion-relay.retrySelectorLabels" -}}
{{ include "conversion-relay.selectorLabels" . }}
app.kubernetes.io/component: retry
{{- end -}}

{{- define "conversion-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "conversion-relay.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* A memory quantity (Ki, Mi, Gi, K, M, G or bytes) in MiB, rounded down; -1 when unparseable. */}}
{{- define "conversion-relay.mebibytes" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{- mul (trimSuffix "Gi" $q | int64) 1024 -}}
{{- else if hasSuffix "Mi" $q -}}{{- trimSuffix "Mi" $q | int64 -}}
{{- else if hasSuffix "Ki" $q -}}{{- div (trimSuffix "Ki" $q | int64) 1024 -}}
{{- else if hasSuffix "G" $q -}}{{- div (mul (trimSuffix "G" $q | int64) 1000000000) 1048576 -}}
{{- else if hasSuffix "M" $q -}}{{- div (mul (trimSuffix "M" $q | int64) 1000000) 1048576 -}}
{{- else if regexMatch "^[0-9]+$" $q -}}{{- div ($q | int64) 1048576 -}}
{{- else -}}-1{{- end -}}
{{- end -}}

{{/* A CPU quantity ("2", "1.5", "1500m") as whole CPUs, rounded up; 0 when unset. */}}
{{- define "conversion-relay.wholeCPUs" -}}
{{- $q := toString . -}}
{{- if eq $q "" -}}0
{{- else if hasSuffix "m" $q -}}{{- div (add (trimSuffix "m" $q | int64) 999) 1000 -}}
{{- else -}}{{- ceil ($q | float64) | int64 -}}
{{- end -}}
{{- end -}}

{{/* The relay's configuration as rendered into the ConfigMap: `config`, with
     delivery.preparation_threads set from the CPU limit when unset. */}}
{{- define "conversion-relay.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $delivery := default dict $config.delivery -}}
{{- $cpus := include "conversion-relay.wholeCPUs" (dig "limits" "cpu" "" .Values.resources) | int -}}
{{- if and (not (hasKey $delivery "preparation_threads")) (gt $cpus 0) -}}
{{- $_ := set $delivery "preparation_threads" $cpus -}}
{{- $_ := set $config "delivery" $delivery -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Stops the render with a message naming the value when the settings cannot work together. */}}
{{- define "conversion-relay.guards" -}}
{{- if not (trim (toString .Values.image.repository)) -}}
{{- fail "image.repository is required: nothing publishes an image for this chart. Build the repository's Dockerfile, push it to your registry and set image.repository (image.tag defaults to the chart's appVersion); see the README, \"Deploy on Kubernetes\"" -}}
{{- end -}}
{{- $drainMs := int64 (default 20000 .Values.config.kafka.shutdown_drain_timeout_ms) -}}
{{- $graceMs := mul (int64 .Values.terminationGracePeriodSeconds) 1000 -}}
{{- if lt $graceMs (add $drainMs 5000) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed config.kafka.shutdown_drain_timeout_ms (%d ms) by at least 5 s, for the final commit and leaving the group" (int64 .Values.terminationGracePeriodSeconds) $drainMs) -}}
{{- end -}}
{{- $defined := list -}}
{{- range (concat .Values.secretEnv .Values.extraEnv) }}{{- $defined = append $defined .name -}}{{- end -}}
{{- range (regexFindAll "\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}" (toYaml .Values.config) -1) | uniq -}}
{{- $name := trimSuffix "}" (trimPrefix "${" .) -}}
{{- if not (has $name $defined) -}}
{{- fail (printf "config references ${%s}, but no secretEnv (or extraEnv) entry defines %s: the relay would stop at start-up" $name $name) -}}
{{- end -}}
{{- end -}}
{{- $budget := int64 (dig "delivery" "memory_budget_mb" 256 .Values.config) -}}
{{- $request := include "conversion-relay.mebibytes" (dig "requests" "memory" "" .Values.resources) | int64 -}}
{{- $limit := include "conversion-relay.mebibytes" (dig "limits" "memory" "" .Values.resources) | int64 -}}
{{- if and (ge $request 0) (lt $request $budget) -}}
{{- fail (printf "resources.requests.memory (%d Mi) must be at least config.delivery.memory_budget_mb (%d): the relay grows to its budget" $request $budget) -}}
{{- end -}}
{{- if and (ge $limit 0) (lt $limit $budget) -}}
{{- fail (printf "resources.limits.memory (%d Mi) must be at least config.delivery.memory_budget_mb (%d)" $limit $budget) -}}
{{- end -}}
{{- end -}}

{{/* The pod spec shared by the Deployment, the StatefulSet and the retry Deployment.
     Call with (dict "root" $ "role" "main"|"retry"). */}}
{{- define "conversion-relay.podTemplate" -}}
{{- $root := .root -}}
{{- $retry := eq .role "retry" -}}
{{- with $root -}}
{{- include "conversion-relay.guards" . -}}
metadata:
  labels:
    {{- if $retry }}
    {{- include "conversion-relay.retrySelectorLabels" . | nindent 4 }}
    {{- else }}
    {{- include "conversion-relay.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: relay
    {{- end }}
  annotations:
    checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "conversion-relay.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile: { type: RuntimeDefault }
  containers:
    - name: {{ ternary "retry" "relay" $retry }}
      image: "{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [{{ ternary "retry" "run" $retry | quote }}, "--config", "/etc/conversion-relay/relay.yaml"]
      ports:
        - name: http
          containerPort: {{ .Values.config.observability.port | default 9464 }}
      env:
        {{- if and .Values.staticMembership.enabled (not $retry) }}
        - name: CONVERSION_RELAY__KAFKA__GROUP_INSTANCE_ID
          valueFrom:
            fieldRef: { fieldPath: metadata.name }
        {{- end }}
        {{- range .Values.secretEnv }}
        - name: {{ .name }}
          valueFrom:
            secretKeyRef:
              name: {{ .secretName }}
              key: {{ .key }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      # Liveness: the poll loop stamped its heartbeat recently (a stuck loop fails it).
      # Readiness: the member reached Kafka and has its partition assignment; a platform's
      # outage does not make a consumer unready (it takes no traffic; see docs/operations.md).
      livenessProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: 10
        failureThreshold: 3
      readinessProbe:
        httpGet: { path: /readyz, port: http }
        periodSeconds: 5
        failureThreshold: 3
      resources:
        {{- toYaml (ternary .Values.retryConsumer.resources .Values.resources $retry) | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: { drop: ["ALL"] }
      volumeMounts:
        - name: config
          mountPath: /etc/conversion-relay
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- range $index, $file := .Values.secretFiles }}
        - name: secret-file-{{ $index }}
          mountPath: {{ $file.mountPath }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "conversion-relay.fullname" . }}
    - name: tmp
      emptyDir: {}
    {{- range $index, $file := .Values.secretFiles }}
    - name: secret-file-{{ $index }}
      secret:
        secretName: {{ $file.secretName }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
