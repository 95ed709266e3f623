// Validates the Kubernetes manifests in deploy/kubernetes/ (or the files
// given) against Kubernetes 1.27's OpenAPI schemas (kubernetes-models from
// npm: types, required fields, enums), then checks what chainmeter's jobs
// rely on: the generators are an Indexed Job whose completions,
// parallelism and SHARDS agree, retried never, each pod running shard
// $JOB_COMPLETION_INDEX/$SHARDS; the merge job reads the same run's
// results; every ConfigMap and claim a pod mounts is defined. Writes each
// ConfigMap's scenario.toml into $SCENARIO_OUT (if set) for the caller to
// check with chainmeter's own parser.
//
//   node scripts/validate-k8s.mjs [files...]   (after scripts/install-k8s-models.sh)
import { createRequire } from "node:module";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tools = process.env.K8S_MODELS_DIR || join(root, ".tools", "k8s");
const need = createRequire(join(tools, "node_modules", "x.js"));
const yaml = need("js-yaml");
const modelsDir = join(tools, "node_modules", "kubernetes-models");

const dir = join(root, "deploy", "kubernetes");
const shipped = readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));
const files = process.argv.length > 2 ? process.argv.slice(2) : shipped;

const problems = [];
const docs = [];
for (const file of files) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (doc) docs.push({ file, doc });
  }
}

// Schema validation: the model class for the document's apiVersion and kind.
for (const { file, doc } of docs) {
  const where = `${file}: ${doc.kind}/${doc.metadata?.name}`;
  const group = doc.apiVersion ?? "";
  let models;
  try {
    models = await import(pathToFileURL(join(modelsDir, group, "index.js")).href);
  } catch {
    problems.push(`${where}: unknown apiVersion ${doc.apiVersion}`);
    continue;
  }
  const Model = models[doc.kind];
  if (!Model) {
    problems.push(`${where}: unknown kind ${doc.kind} in ${doc.apiVersion}`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
}

// chainmeter's own checks.
const of = (kind) => docs.filter((d) => d.doc.kind === kind);
const names = (kind) => new Set(of(kind).map((d) => d.doc.metadata.name));
const env = (c, name) => (c.env || []).find((e) => e.name === name)?.value;
const jobs = of("Job");
const generators = jobs.filter((d) => d.doc.spec.completionMode === "Indexed");
if (files.length === shipped.length && generators.length !== 1) {
  problems.push(`expected one Indexed Job (the generators), found ${generators.length}`);
}
for (const { file, doc } of generators) {
  const where = `${file}: Job/${doc.metadata.name}`;
  const s = doc.spec;
  const c = s.template.spec.containers[0];
  const shards = Number(env(c, "SHARDS"));
  if (!(s.completions === s.parallelism && s.completions === shards)) {
    problems.push(`${where}: completions (${s.completions}), parallelism (${s.parallelism}) and SHARDS (${env(c, "SHARDS")}) must be equal: all shards at once, each once`);
  }
  if (s.backoffLimit !== 0) problems.push(`${where}: backoffLimit must be 0: a retried generator sends its share twice`);
  const line = [...(c.command || []), ...(c.args || [])].join(" ");
  if (!line.includes('--shard "$JOB_COMPLETION_INDEX/$SHARDS"')) {
    problems.push(`${where}: the container must run --shard "$JOB_COMPLETION_INDEX/$SHARDS"`);
  }
  if (!line.includes("shard-$JOB_COMPLETION_INDEX")) {
    problems.push(`${where}: each shard must write to its own directory (shard-$JOB_COMPLETION_INDEX)`);
  }
  for (const m of jobs.filter((j) => j !== generators[0])) {
    const run = env(m.doc.spec.template.spec.containers[0], "RUN_ID");
    if (run !== env(c, "RUN_ID")) problems.push(`${m.file}: RUN_ID ${run} is not the generators' ${env(c, "RUN_ID")}`);
  }
}
const configMaps = names("ConfigMap");
const claims = names("PersistentVolumeClaim");
for (const { file, doc } of jobs) {
  for (const v of doc.spec.template.spec.volumes || []) {
    if (v.configMap && !configMaps.has(v.configMap.name)) problems.push(`${file}: ConfigMap ${v.configMap.name} is not defined`);
    if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) problems.push(`${file}: claim ${v.persistentVolumeClaim.claimName} is not defined`);
  }
}
if (process.env.SCENARIO_OUT) {
  for (const { doc } of of("ConfigMap")) {
    const text = doc.data?.["scenario.toml"];
    if (text) writeFileSync(join(process.env.SCENARIO_OUT, `${doc.metadata.name}.toml`), text);
  }
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`${docs.length} manifests valid (${files.length} files)`);
