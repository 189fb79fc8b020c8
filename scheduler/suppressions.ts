/**
 * Suppression rules (`--suppressions FILE`): a JSON list of rules, each a filter over finding fields
 * in the spirit of Amazon Inspector's FilterCriteria
 * (https://docs.aws.amazon.com/inspector/v2/APIReference/API_FilterCriteria.html): fields are ANDed,
 * the values of one field ORed; a value is a string (EQUALS) or `{ comparison, value }` with
 * EQUALS | PREFIX | NOT_EQUALS. A matching finding becomes `SUPPRESSED` — still exported, never hidden.
 *
 *   [{ "name": "dev-low", "reason": "accepted risk in dev",
 *      "criteria": { "severity": ["LOW", "INFORMATIONAL"], "resourceTags": [{ "key": "env", "value": "dev" }] } }]
 */
import { ScanError } from '../engine/errors.js';
import type { Finding } from '../engine/findings/index.js';

export type Comparison = 'EQUALS' | 'PREFIX' | 'NOT_EQUALS';
export interface StringFilter {
  comparison: Comparison;
  value: string;
}

const STRING_FIELDS = {
  severity: (f: Finding) => [f.severity],
  vulnerabilityId: (f: Finding) => [f.packageVulnerabilityDetails.vulnerabilityId],
  packageName: (f: Finding) => f.packageVulnerabilityDetails.vulnerablePackages.map((p) => p.name),
  resourceId: (f: Finding) => f.resources.map((r) => r.id),
  fixAvailable: (f: Finding) => [f.fixAvailable],
  awsAccountId: (f: Finding) => [f.awsAccountId],
  findingArn: (f: Finding) => [f.findingArn],
} as const;
type StringField = keyof typeof STRING_FIELDS;

export interface SuppressionRule {
  name: string;
  reason: string;
  criteria: Partial<Record<StringField, StringFilter[]>> & {
    resourceTags?: Array<{ key: string; value?: string }>;
  };
}

const MAX_RULES = 10_000;
const MAX_VALUES = 1000;

function filterOf(where: string, v: unknown): StringFilter {
  if (typeof v === 'string') return { comparison: 'EQUALS', value: v };
  if (v && typeof v === 'object') {
    const { comparison, value } = v as Record<string, unknown>;
    if (
      (comparison === 'EQUALS' || comparison === 'PREFIX' || comparison === 'NOT_EQUALS') &&
      typeof value === 'string'
    )
      return { comparison, value };
  }
  throw new ScanError(
    'invalid-argument',
    `suppressions: ${where}: a value is a string or { "comparison": "EQUALS"|"PREFIX"|"NOT_EQUALS", "value": "…" }`,
  );
}

/** Validates the parsed JSON; errors name the rule and the field. */
export function parseSuppressions(json: unknown): SuppressionRule[] {
  if (!Array.isArray(json))
    throw new ScanError('invalid-argument', 'suppressions: the file must hold a JSON list of rules');
  if (json.length > MAX_RULES)
    throw new ScanError('invalid-argument', `suppressions: more than ${MAX_RULES} rules`);
  return json.map((raw, i) => {
    const where = `rule ${i}`;
    if (!raw || typeof raw !== 'object')
      throw new ScanError('invalid-argument', `suppressions: ${where} is not an object`);
    const r = raw as Record<string, unknown>;
    if (typeof r.reason !== 'string' || r.reason === '')
      throw new ScanError('invalid-argument', `suppressions: ${where} needs a "reason"`);
    const c = r.criteria;
    if (!c || typeof c !== 'object' || Object.keys(c).length === 0)
      throw new ScanError('invalid-argument', `suppressions: ${where} needs non-empty "criteria"`);
    const criteria: SuppressionRule['criteria'] = {};
    for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length === 0 || v.length > MAX_VALUES)
        throw new ScanError(
          'invalid-argument',
          `suppressions: ${where}.${k} must be a list of 1..${MAX_VALUES} values`,
        );
      if (k === 'resourceTags') {
        criteria.resourceTags = v.map((t) => {
          const tt = t as Record<string, unknown>;
          if (!tt || typeof tt.key !== 'string' || (tt.value !== undefined && typeof tt.value !== 'string'))
            throw new ScanError(
              'invalid-argument',
              `suppressions: ${where}.resourceTags: { "key": "…", "value"?: "…" }`,
            );
          return { key: tt.key, ...(tt.value !== undefined ? { value: tt.value as string } : {}) };
        });
      } else if (k in STRING_FIELDS) {
        criteria[k as StringField] = v.map((x) => filterOf(`${where}.${k}`, x));
      } else {
        throw new ScanError(
          'invalid-argument',
          `suppressions: ${where}: unknown field "${k}" (known: ${[...Object.keys(STRING_FIELDS), 'resourceTags'].join(', ')})`,
        );
      }
    }
    return { name: typeof r.name === 'string' ? r.name : `rule-${i}`, reason: r.reason, criteria };
  });
}

function matchesFilter(values: string[], filters: StringFilter[]): boolean {
  const pos = filters.filter((f) => f.comparison !== 'NOT_EQUALS');
  const neg = filters.filter((f) => f.comparison === 'NOT_EQUALS');
  if (neg.some((f) => values.includes(f.value))) return false;
  if (pos.length === 0) return true;
  return pos.some((f) =>
    values.some((v) => (f.comparison === 'EQUALS' ? v === f.value : v.startsWith(f.value))),
  );
}

/** The first rule a finding matches, given the resource's tags; undefined when none. */
export function suppressionFor(
  f: Finding,
  rules: readonly SuppressionRule[],
  tags: Readonly<Record<string, string>> = {},
): SuppressionRule | undefined {
  return rules.find((rule) => {
    for (const [k, filters] of Object.entries(rule.criteria)) {
      if (k === 'resourceTags') {
        const want = filters as Array<{ key: string; value?: string }>;
        if (!want.some((t) => t.key in tags && (t.value === undefined || tags[t.key] === t.value)))
          return false;
      } else if (!matchesFilter(STRING_FIELDS[k as StringField](f), filters as StringFilter[])) return false;
    }
    return true;
  });
}
