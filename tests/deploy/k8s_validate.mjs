// Validate Kubernetes objects (JSON on stdin: an array) against the API schemas that the npm
// package kubernetes-models ships (offline). Usage: node k8s_validate.mjs MODELS_DIR < objects.json
// MODELS_DIR is the installed package's directory (node_modules/kubernetes-models). Prints one
// line per object; exit 0 when every object is valid, 1 otherwise, 2 on setup errors.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const kinds = {
        "v1/Namespace": "v1/Namespace.js",
        "v1/ConfigMap": "v1/ConfigMap.js",
        "v1/Pod": "v1/Pod.js",
        "apps/v1/DaemonSet": "apps/v1/DaemonSet.js",
};
let objects;
try {
        objects = JSON.parse(readFileSync(0, "utf8"));
} catch (e) {
        console.log("cannot read the objects: " + e.message);
        process.exit(2);
}
let bad = 0;
for (const o of objects) {
        const key = `${o.apiVersion}/${o.kind}`;
        const file = kinds[key];
        const name = `${key} ${o.metadata?.name}`;
        if (!file) {
                console.log(`FAIL ${name}: no schema for this kind here`);
                bad++;
                continue;
        }
        let mod;
        try {
                mod = await import(pathToFileURL(`${dir}/${file}`).href);
        } catch (e) {
                console.log(`cannot load ${file}: ${e.message}`);
                process.exit(2);
        }
        try {
                new mod[o.kind](o).validate();
                console.log(`ok ${name}`);
        } catch (e) {
                console.log(`FAIL ${name}: ${e.message}`);
                bad++;
        }
}
process.exit(bad ? 1 : 0);
