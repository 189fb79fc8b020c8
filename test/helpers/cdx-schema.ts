/**
 * The official CycloneDX 1.5 JSON schema as shipped by @cyclonedx/cyclonedx-library, with the two
 * schemas it references, compiled the way the library's own validator does (draft-07, formats on).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { newAjv } from '../engine/findings/ajv.js';

const require = createRequire(import.meta.url);
const cdxSchemaDir = resolve(
  dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res/schema',
);
const loadJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

export function cdxValidator() {
  const ajv = newAjv({
    strict: false,
    allErrors: true,
    schemas: {
      'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': loadJson(
        join(cdxSchemaDir, 'spdx.SNAPSHOT.schema.json'),
      ),
      'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': loadJson(
        join(cdxSchemaDir, 'jsf-0.82.SNAPSHOT.schema.json'),
      ),
    },
  });
  ajv.addFormat('idn-email', true);
  ajv.addFormat('iri-reference', true);
  return ajv.compile(loadJson(join(cdxSchemaDir, 'bom-1.5.SNAPSHOT.schema.json')));
}
