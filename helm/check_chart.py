#!/usr/bin/env python3
"""Renders the chart through Helm's own Go SDK and checks what an operator would check.

Helm v4's SDK (PyPI helm-python-sdk): `Config(storage_driver="memory").install(..., dry_run="client")`
is `helm template` with the values schema applied; no cluster is contacted. For each value set
(defaults, every option with a StatefulSet, the retry consumer split out):
- every object validates with kubernetes-validate --strict (Kubernetes' OpenAPI schemas, unknown
  fields refused), and the KEDA / Prometheus Operator objects against their CRDs' schemas
  (vendored in helm/crd-schemas, unknown fields refused too);
- no ConfigMap holds a credential or key material (only ${VAR} references and file paths), and
  the rendered relay.yaml is valid against the relay's own schemas/config.v1.json;
- the retry consumer has its own Deployment exactly when config.retry.in_process is false;
- the KEDA trigger authenticates with the Secrets the relay's SASL/TLS settings come from.
Then values that would leak a secret, change an id, or cannot work are refused with a message
naming the value. Prints one line per check ("ok: ..." or "FAILED: ..."); exits 1 on any failure.
Run: .venv/bin/python3 helm/check_chart.py
"""
import copy
import json
import re
import sys
from pathlib import Path

import helm_python
import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "conversion-relay"
OPERATIONS = HERE.parent / "docs" / "operations.md"
RELAY_CONFIG_SCHEMA = jsonschema.Draft202012Validator(json.loads((HERE.parent / "schemas" / "config.v1.json").read_text()))
KUBERNETES_VERSIONS = ["1.31.0", kubernetes_validate.latest_version()]
CRD_FILES = ["keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml",
             "monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"]
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
CREDENTIAL_KEY = re.compile(r"(?i)(token|secret|password|passphrase|credential|key)$|^ssl\.key\.|^ssl\.keystore\.|^sasl\.oauthbearer\.config$")

failures = []


def check(name, condition, detail=""):
    print(f"{'ok' if condition else 'FAILED'}: {name}" + ("" if condition else f" ({detail})"))
    if not condition:
        failures.append(name)


def render(values, release="relay"):
    """The manifest's objects, or the error Helm stopped with (a string)."""
    try:
        result = helm_python.Config(storage_driver="memory").install(
            str(CHART), release, values, namespace="shop", dry_run="client")
    except helm_python.HelmError as error:
        return str(error)
    return [document for document in yaml.safe_load_all(result["manifest"]) if document]


def strict(schema):
    """A CRD's structural schema with unknown fields refused (the API server would prune them)."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        # The API server fills in apiVersion/kind/metadata; a CRD's schema describes them loosely.
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def crd_schemas():
    schemas = {}
    for name in CRD_FILES:
        crd = yaml.safe_load((HERE / "crd-schemas" / name).read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schemas[(f"{group}/{version['name']}", kind)] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


CRDS = crd_schemas()


def validate(objects, label):
    for obj in objects:
        what = f"{label}: {obj['kind']}/{obj['metadata']['name']}"
        key = (obj["apiVersion"], obj["kind"])
        try:
            if key in CRDS:
                # No metaschema check: CRD patterns are Go regular expressions ("^(?i)...").
                jsonschema.Draft7Validator(CRDS[key]).validate(obj)
                check(f"{what} matches its CRD schema", True)
            else:
                for version in KUBERNETES_VERSIONS:
                    kubernetes_validate.validate(obj, version, strict=True)
                check(f"{what} validates strictly (Kubernetes {', '.join(KUBERNETES_VERSIONS)})", True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
            check(f"{what} validates", False, getattr(error, "message", str(error)))
        except kubernetes_validate.SchemaNotFoundError as error:
            check(f"{what} has a schema to validate against", False, str(error))


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")
    else:
        yield path, node


def leaks(objects):
    """Credential-like keys in any ConfigMap whose value is neither ${VAR} nor a path, and PEM blocks."""
    found = []
    for obj in objects:
        if obj["kind"] != "ConfigMap":
            continue
        for name, text in (obj.get("data") or {}).items():
            if "-----BEGIN" in text or "PRIVATE KEY" in text:
                found.append(f"{obj['metadata']['name']}/{name}: PEM block")
            if not name.endswith(".yaml"):
                continue
            for path, value in walk(yaml.safe_load(text)):
                key = path.rsplit(".", 1)[-1] if not re.search(r"(ssl|sasl)\.", path) else re.sub(r"^.*?properties\.", "", path)
                if CREDENTIAL_KEY.search(key) and not key.endswith("_file") and not key.endswith(".location") \
                        and not REFERENCE.match(str(value)):
                    found.append(f"{obj['metadata']['name']}/{name}: {path}")
    return found


def find(objects, kind, name=None):
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def container(workload):
    return workload["spec"]["template"]["spec"]["containers"][0]


IMAGE = {"image": {"repository": "registry.example.com/conversion-relay", "tag": "0.1.0"}}


def values(*changes):
    result = copy.deepcopy(IMAGE)
    for change in changes:
        change(result)
    return result


def every_option(v):
    v.update({
        "staticMembership": {"enabled": True},
        "keda": {"enabled": True},
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "imagePullSecrets": [{"name": "registry-credentials"}],
        "priorityClassName": "business-critical",
        "serviceAccount": {"create": True, "name": "relay", "annotations": {"iam.gke.io/gcp-service-account": "relay@p.iam.gserviceaccount.com"}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "conversion-relay"}}}],
        "extraEnv": [{"name": "TZ", "value": "UTC"}],
        "extraVolumes": [{"name": "scratch", "emptyDir": {}}],
        "extraVolumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
        "podAnnotations": {"example.com/team": "growth"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "relay", "effect": "NoSchedule"}],
        "secretEnv": [
            {"name": "META_ACCESS_TOKEN", "secretName": "relay-platforms", "key": "meta-access-token"},
            {"name": "TIKTOK_ACCESS_TOKEN", "secretName": "relay-platforms", "key": "tiktok-access-token"},
            {"name": "KAFKA_USERNAME", "secretName": "kafka-user", "key": "username"},
            {"name": "KAFKA_PASSWORD", "secretName": "kafka-user", "key": "password"},
            {"name": "KAFKA_KEY_PASSWORD", "secretName": "kafka-client-tls", "key": "key-password"},
        ],
        "secretFiles": [{"secretName": "google-service-account", "mountPath": "/var/run/secrets/google"},
                        {"secretName": "kafka-client-tls", "mountPath": "/var/run/secrets/kafka"}],
    })
    v["config"] = {
        "kafka": {"bootstrap_servers": "kafka-0.kafka:9093,kafka-1.kafka:9093", "group_id": "conversion-relay", "topic": "orders",
                  "shutdown_drain_timeout_ms": 20000,
                  "properties": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                 "sasl.username": "${KAFKA_USERNAME}", "sasl.password": "${KAFKA_PASSWORD}",
                                 "ssl.ca.location": "/var/run/secrets/kafka/ca.crt",
                                 "ssl.certificate.location": "/var/run/secrets/kafka/tls.crt",
                                 "ssl.key.location": "/var/run/secrets/kafka/tls.key",
                                 "ssl.key.password": "${KAFKA_KEY_PASSWORD}"}},
        "delivery": {"memory_budget_mb": 384},
        "retry": {"in_process": True},
        "destinations": {
            "meta": {"pixel_id": "1234567890123456", "access_token": "${META_ACCESS_TOKEN}"},
            "google": {"operating_account_id": "1234567890", "conversion_action_id": "987654321",
                       "service_account_key_file": "/var/run/secrets/google/key.json", "requests_per_minute": 150},
        },
        "stores": {"shop-uk": {"tiktok": {"pixel_code": "C4ABCDEF", "access_token": "${TIKTOK_ACCESS_TOKEN}"}}},
        "observability": {"port": 9464},
        "logging": {"level": "info", "format": "json"},
    }


def retry_split(v):
    v["config"] = yaml.safe_load((CHART / "values.yaml").read_text())["config"]
    v["config"]["retry"] = {"in_process": False}
    v["retryConsumer"] = {"replicaCount": 2, "resources": {"requests": {"cpu": "100m", "memory": "400Mi"}, "limits": {"memory": "512Mi"}}}


# --- Lint -------------------------------------------------------------------------------------
report = helm_python.lint(str(CHART), IMAGE, strict=True)
problems = [m for m in report.get("messages") or [] if m.get("severity", 0) >= 2] + (report.get("errors") or [])
check("helm lint --strict with an image set", not problems, problems)

# --- The three value sets ---------------------------------------------------------------------
sets = {"defaults": values(), "every option with a StatefulSet": values(every_option), "retry consumer split out": values(retry_split)}
rendered = {}
for label, value_set in sets.items():
    objects = render(value_set)
    check(f"{label}: renders", isinstance(objects, list), objects)
    if not isinstance(objects, list):
        continue
    rendered[label] = objects
    validate(objects, label)
    check(f"{label}: no credential or key material in a ConfigMap", not leaks(objects), leaks(objects))
    relay_yaml = yaml.safe_load(find(objects, "ConfigMap", "relay-conversion-relay")[0]["data"]["relay.yaml"])
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in RELAY_CONFIG_SCHEMA.iter_errors(relay_yaml)]
    check(f"{label}: the rendered relay.yaml is a valid relay configuration (schemas/config.v1.json)", not problems, problems)

if len(rendered) == len(sets):
    defaults, full, split = rendered["defaults"], rendered["every option with a StatefulSet"], rendered["retry consumer split out"]
    # Retry consumer
    retry = find(split, "Deployment", "relay-conversion-relay-retry")
    check("retry.in_process false: a retry Deployment runs `conversion-relay retry`",
          len(retry) == 1 and container(retry[0])["args"][0] == "retry", [o["metadata"]["name"] for o in split])
    if retry:
        check("retry Deployment: its own replicas and resources",
              retry[0]["spec"]["replicas"] == 2 and container(retry[0])["resources"]["requests"]["memory"] == "400Mi")
        check("retry Deployment: its own selector (the component label)",
              retry[0]["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component") == "retry")
    check("retry.in_process true: no retry Deployment", not find(defaults, "Deployment", "relay-conversion-relay-retry"))
    main = find(split, "Deployment", "relay-conversion-relay")
    check("main Deployment runs `conversion-relay run`", main and container(main[0])["args"][0] == "run")
    # KEDA
    scaled = find(full, "ScaledObject")
    auth = find(full, "TriggerAuthentication")
    if scaled and auth:
        trigger = scaled[0]["spec"]["triggers"][0]
        refs = {r["parameter"]: (r["name"], r["key"]) for r in auth[0]["spec"]["secretTargetRef"]}
        check("KEDA trigger authenticates through the TriggerAuthentication",
              trigger.get("authenticationRef", {}).get("name") == auth[0]["metadata"]["name"], trigger)
        check("KEDA authentication uses the relay's own Secrets (SASL from secretEnv, TLS from secretFiles)",
              refs == {"username": ("kafka-user", "username"), "password": ("kafka-user", "password"),
                       "ca": ("kafka-client-tls", "ca.crt"), "cert": ("kafka-client-tls", "tls.crt"), "key": ("kafka-client-tls", "tls.key")}, refs)
        check("KEDA trigger: SCRAM-SHA-512 over TLS",
              trigger["metadata"].get("sasl") == "scram_sha512" and trigger["metadata"].get("tls") == "enable", trigger["metadata"])
        spec = scaled[0]["spec"]
        check("KEDA: fallback and a scale-down policy",
              spec.get("fallback", {}).get("replicas", 0) >= 1
              and spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["policies"], spec)
        check("KEDA scales the StatefulSet", spec["scaleTargetRef"]["kind"] == "StatefulSet")
    else:
        check("every option: a ScaledObject and a TriggerAuthentication", False, [o["kind"] for o in full])
    # Services
    services = {o["metadata"]["name"]: o["spec"] for o in find(full, "Service")}
    check("StatefulSet: its own headless Service; the main Service keeps a cluster IP",
          services.get("relay-conversion-relay-headless", {}).get("clusterIP") == "None"
          and "clusterIP" not in services.get("relay-conversion-relay", {"clusterIP": 1})
          and find(full, "StatefulSet")[0]["spec"]["serviceName"] == "relay-conversion-relay-headless", services)
    # Pod settings
    pod = find(full, "StatefulSet")[0]["spec"]["template"]["spec"]
    check("pod: service account, no API token, pull secrets, priority class, spread constraints",
          pod["serviceAccountName"] == "relay" and pod["automountServiceAccountToken"] is False
          and pod["imagePullSecrets"] == [{"name": "registry-credentials"}] and pod["priorityClassName"] == "business-critical"
          and pod["topologySpreadConstraints"], pod)
    check("pod: extra env, volume and mount",
          {"name": "TZ", "value": "UTC"} in pod["containers"][0]["env"]
          and {"name": "scratch", "emptyDir": {}} in pod["volumes"]
          and {"name": "scratch", "mountPath": "/scratch"} in pod["containers"][0]["volumeMounts"])
    check("pod: group.instance.id is the pod name",
          {"name": "CONVERSION_RELAY__KAFKA__GROUP_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
          in pod["containers"][0]["env"])
    monitor = find(full, "ServiceMonitor")[0]
    check("ServiceMonitor carries the extra labels", monitor["metadata"]["labels"].get("release") == "kube-prometheus-stack")
    pdb = find(defaults, "PodDisruptionBudget")[0]["spec"]
    check("PDB: unhealthy pods may always be evicted", pdb.get("unhealthyPodEvictionPolicy") == "AlwaysAllow")
    relay_yaml = yaml.safe_load(find(defaults, "ConfigMap", "relay-conversion-relay")[0]["data"]["relay.yaml"])
    check("preparation_threads follows the CPU limit (2)", relay_yaml["delivery"].get("preparation_threads") == 2, relay_yaml)
    full_yaml = yaml.safe_load(find(full, "ConfigMap", "relay-conversion-relay")[0]["data"]["relay.yaml"])
    check("a 16-digit id arrives unchanged", full_yaml["destinations"]["meta"]["pixel_id"] == "1234567890123456")
    # Dashboard
    def dashboard(objects):
        configmap = [o for o in find(objects, "ConfigMap") if o["metadata"]["name"].endswith("-dashboard")][0]
        return json.loads(configmap["data"]["conversion-relay.json"])
    other = render(values(), release="second")
    board = dashboard(defaults)
    check("dashboard uid differs between releases", isinstance(other, list) and dashboard(other)["uid"] != board["uid"])
    names = {v["name"] for v in board["templating"]["list"]}
    check("dashboard has namespace, job and pod variables", {"namespace", "job", "pod"} <= names, names)
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    check("dashboard counts paused partitions of the main consumer only",
          all('role="main"' in e for e in exprs if "partitions_paused" in e) and any("partitions_paused" in e for e in exprs))
    for metric in ["resident_memory_bytes", "memory_budget_bytes", "rebalances_total", "events_rejected_total", "events_consumed_total"]:
        check(f"dashboard panel uses conversion_relay_{metric}", any(metric in e for e in exprs))
    check("every dashboard query filters by the namespace, job and pod variables",
          all('namespace=~"$namespace"' in e for e in exprs))
    # Alerts
    rules = [r for g in find(full, "PrometheusRule")[0]["spec"]["groups"] for r in g["rules"]]
    headings = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in OPERATIONS.read_text().splitlines() if line.startswith("#")}
    alerts = {r["alert"] for r in rules}
    check("alerts: lag, destination failing, dead letters, memory, Google quota",
          alerts == {"ConversionRelayConsumerLagGrowing", "ConversionRelayDestinationFailing", "ConversionRelayDeadLetterReceiving",
                     "ConversionRelayMemoryNearBudget", "ConversionRelayGoogleQuotaExhausted"}, alerts)
    for rule in rules:
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[-1]
        check(f"alert {rule['alert']} links an existing runbook section (#{anchor})", anchor in headings)
    check("PrometheusRule is off by default", not find(defaults, "PrometheusRule"))

# --- Refused values ---------------------------------------------------------------------------
def refused(label, change, expected):
    result = render(values(change))
    check(f"refused: {label}", isinstance(result, str) and expected in result,
          result if isinstance(result, str) else "rendered")


def set_path(path, value):
    def change(v):
        node = v
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return change


def base_config(v):
    v["config"] = yaml.safe_load((CHART / "values.yaml").read_text())["config"]


def with_config(*path_value):
    def change(v):
        base_config(v)
        set_path(*path_value)(v)
    return change


PEM = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
result = render({})
check("refused: no image.repository, with a clear message",
      isinstance(result, str) and "image.repository is required" in result and "Dockerfile" in result, result)
for label, key, value in [
        ("inline ssl.key.pem", "ssl.key.pem", PEM),
        ("inline ssl.key.password", "ssl.key.password", "hunter2"),
        ("inline ssl.keystore.password", "ssl.keystore.password", "hunter2"),
        ("an ssl.keystore.* value that is neither a reference nor a path", "ssl.keystore.data", PEM),
        ("inline sasl.oauthbearer.config", "sasl.oauthbearer.config", "principal=relay scope=x"),
        ("inline sasl.password", "sasl.password", "hunter2")]:
    refused(label, with_config(["config", "kafka", "properties", key], value), key)
refused("inline consumer_properties sasl.password", with_config(["config", "kafka", "consumer_properties", "sasl.password"], "x"), "sasl.password")
refused("inline destinations.meta.access_token", with_config(["config", "destinations", "meta", "access_token"], "EAAB-inline"), "access_token")
refused("inline destinations.google.access_token", with_config(["config", "destinations", "google", "access_token"], "ya29.inline"), "access_token")
refused("inline service account key", with_config(["config", "destinations", "google", "service_account_key"], "{\"private_key\": \"x\"}"), "service_account_key")
refused("inline store credential", with_config(["config", "stores", "shop-uk", "snapchat", "access_token"], "inline"), "access_token")
refused("a numeric pixel_id (would change through YAML)", with_config(["config", "destinations", "meta", "pixel_id"], 1234567890123456), "pixel_id")
refused("drain of 44.9 s in a 45 s grace period",
        lambda v: (with_config(["config", "kafka", "shutdown_drain_timeout_ms"], 44900)(v), v.update(terminationGracePeriodSeconds=45)),
        "terminationGracePeriodSeconds")
refused("a ${VAR} that no secretEnv entry defines",
        lambda v: (base_config(v), v.update(secretEnv=[])), "config references ${META_ACCESS_TOKEN}, but no secretEnv")
refused("memory request below memory_budget_mb",
        lambda v: v.update(resources={"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}}), "resources.requests.memory")
refused("KEDA with a literal SASL username",
        lambda v: (with_config(["config", "kafka", "properties"], {"security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN",
                                                                   "sasl.username": "relay", "sasl.password": "${KAFKA_PASSWORD}"})(v),
                   v.update(keda={"enabled": True}, secretEnv=[
                       {"name": "KAFKA_PASSWORD", "secretName": "kafka-user", "key": "password"},
                       {"name": "META_ACCESS_TOKEN", "secretName": "conversion-relay-secrets", "key": "meta-access-token"}])),
        "config.kafka.properties.sasl.username must be a ${VAR} reference")

print(f"{len(failures)} failed" if failures else "all chart checks passed")
sys.exit(1 if failures else 0)
