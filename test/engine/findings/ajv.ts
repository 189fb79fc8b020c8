/** Ajv with formats, for schema checks in tests (ajv-formats is CommonJS: its default export is the plugin). */
import { Ajv, type Options } from 'ajv';
import * as formatsModule from 'ajv-formats';

type Plugin = (ajv: Ajv) => Ajv;
const mod = formatsModule as unknown as { default: Plugin | { default: Plugin } };
const addFormats: Plugin = typeof mod.default === 'function' ? mod.default : mod.default.default;

export function newAjv(opts: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, ...opts });
  addFormats(ajv);
  return ajv;
}
