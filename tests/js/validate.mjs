// Validate messages with Ajv in strict mode against schemas/json (Draft 2020-12).
// Usage: node validate.mjs SCHEMA_DIR CASES.json
// CASES.json: [{"schema": "client-message.schema.json", "data": {...}}, ...]
// Prints a JSON list: for each case, null when valid, else Ajv's errors.
// Exits 2 if a schema does not compile in strict mode.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [dir, casesFile] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: true, allErrors: false });
addFormats(ajv);
const ids = new Map();
const validators = new Map();
try {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.schema.json')).sort()) {
    const schema = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    ajv.addSchema(schema, schema.$id ? undefined : name);
    ids.set(name, schema.$id || name);
  }
  for (const [name, id] of ids) validators.set(name, ajv.getSchema(id));
} catch (err) {
  process.stdout.write(JSON.stringify({ compile: String(err.message || err) }));
  process.exit(2);
}
const cases = casesFile ? JSON.parse(readFileSync(casesFile, 'utf8')) : [];
const out = cases.map(({ schema, data }) => {
  const validate = validators.get(schema);
  if (!validate) return [{ message: `no schema ${schema}` }];
  return validate(data) ? null : validate.errors;
});
process.stdout.write(JSON.stringify(out));
