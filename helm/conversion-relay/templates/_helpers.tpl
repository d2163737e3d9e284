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

{{- define "conversion-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The pod spec shared by the Deployment and the StatefulSet. */}}
{{- define "conversion-relay.podTemplate" -}}
{{- $drainSeconds := div (int (default 20000 .Values.config.kafka.shutdown_drain_timeout_ms)) 1000 -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $drainSeconds) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed config.kafka.shutdown_drain_timeout_ms (%d s)" (int .Values.terminationGracePeriodSeconds) (int $drainSeconds)) -}}
{{- end -}}
metadata:
  labels:
    {{- include "conversion-relay.selectorLabels" . | nindent 4 }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile: { type: RuntimeDefault }
  containers:
    - name: relay
      image: "{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["run", "--config", "/etc/conversion-relay/relay.yaml"]
      ports:
        - name: http
          containerPort: {{ .Values.config.observability.port | default 9464 }}
      env:
        {{- if .Values.staticMembership.enabled }}
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
      livenessProbe:
        httpGet: { path: /healthz, port: http }
        periodSeconds: 10
        failureThreshold: 3
      readinessProbe:
        httpGet: { path: /readyz, port: http }
        periodSeconds: 5
        failureThreshold: 3
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
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
