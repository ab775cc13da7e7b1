// Validates Kubernetes objects against the Kubernetes and prometheus-operator schemas
// (npm kubernetes-models, @kubernetes-models/prometheus-operator). Input on stdin: a JSON
// array of objects. Prints one line per object; exits 1 if any object is invalid or of a
// kind the schemas do not know.
import { readFileSync } from "node:fs";

const packages = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator/monitoring.coreos.com",
};

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const base = packages[group] ?? (group ? `kubernetes-models/${group}` : "kubernetes-models");
  const module = await import(`${base}/${version}/${kind}`);
  return module[kind];
}

const objects = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const object of objects) {
  const name = `${object.kind}/${object.metadata?.name} (${object.apiVersion})`;
  try {
    const Model = await modelFor(object.apiVersion, object.kind);
    new Model(object).validate();
    console.log(`ok   ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}: ${error.message.split("\n").slice(0, 6).join(" | ")}`);
  }
}
process.exit(failed ? 1 : 0);
