/** Shared by the stack tests: synthesized IAM statements in a readable, comparable form. */
import type { Template } from 'aws-cdk-lib/assertions';

/** Renders CloudFormation intrinsics as placeholders (cdk-nag's notation): `{Ref: X}` → `<X>`, Fn::GetAtt → `<Id.Attr>`, Fn::Join → string. */
export function flat(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(flat);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(flat(p))).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, flat(x)]));
  }
  return v;
}

export interface Stmt {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

/** The inline policy statements of the role whose logical id starts with `prefix`. */
export function roleStatements(t: Template, prefix: string): Stmt[] {
  const roles = t.findResources('AWS::IAM::Role');
  const id = Object.keys(roles).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no role ${prefix}* in ${Object.keys(roles).join(', ')}`);
  const policies = (roles[id]!.Properties.Policies ?? []) as { PolicyDocument: { Statement: Stmt[] } }[];
  return policies.flatMap((p) => flat(p.PolicyDocument.Statement) as Stmt[]);
}

/** Every action of every IAM statement in the template (roles' inline policies and AWS::IAM::Policy). */
export function allActions(t: Template): string[] {
  const out: string[] = [];
  const add = (stmts: Stmt[]) => {
    for (const s of stmts) out.push(...(Array.isArray(s.Action) ? s.Action : [s.Action]));
  };
  for (const r of Object.values(t.findResources('AWS::IAM::Role'))) {
    for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Stmt[] } }[])
      add(p.PolicyDocument.Statement);
  }
  for (const p of Object.values(t.findResources('AWS::IAM::Policy')))
    add(p.Properties.PolicyDocument.Statement as Stmt[]);
  return out;
}

/** Resource types and how many of each. */
export function resourceCounts(t: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(t.toJSON().Resources as Record<string, { Type: string }>))
    counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
}
