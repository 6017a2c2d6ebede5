// Template links: a JSON (or YAML) list of `{ templateId, newId, values }` that instantiates templates
// with concrete principals and resources. Each entry is checked against the template it names before
// anything is linked, and every problem is reported at the entry's line.

import type { EntityUidJson, PolicyJson, PrincipalConstraint, ResourceConstraint, TemplateLink } from '@cedar-policy/cedar-wasm/nodejs';
import { formatIssueLocation, type PolicyLoadIssue } from '../errors.js';
import { isPlainObject, parseDataDocument, type DataDocument } from './document.js';
import { entityRefFromData } from './uid.js';
import type { EntityRef, LoadedPolicy, LoadedTemplate, SlotId, SourceInput, SourcePosition } from './types.js';

export interface ParsedLink {
  readonly templateId: string;
  readonly newId: string;
  readonly values: Readonly<Partial<Record<SlotId, EntityRef>>>;
  readonly position: SourcePosition;
}

const LINK_KEYS = new Set(['templateId', 'newId', 'values']);
const SLOTS: readonly SlotId[] = ['?principal', '?resource'];

function isSlotId(key: string): key is SlotId {
  return (SLOTS as readonly string[]).includes(key);
}

function knownTemplatesHint(templates: ReadonlyMap<string, LoadedTemplate>): string {
  const ids = [...templates.keys()];
  if (ids.length === 0) return 'The policy files define no templates (a template has ?principal or ?resource in its scope).';
  const shown = ids.slice(0, 8).map((id) => JSON.stringify(id)).join(', ');
  return `Use one of the template ids: ${shown}${ids.length > 8 ? ', ...' : ''}.`;
}

/** Checks one entry; returns the link, or undefined after recording why not. */
function checkEntry(doc: DataDocument, index: number, entry: unknown, templates: ReadonlyMap<string, LoadedTemplate>, issues: PolicyLoadIssue[]): ParsedLink | undefined {
  const problem = (path: readonly (string | number)[], message: string, hint: string, policyId?: string): undefined => {
    issues.push(doc.issue('PCL_POLICY_LINK', [index, ...path], `link #${index}: ${message}`, hint, policyId));
    return undefined;
  };
  if (!isPlainObject(entry)) return problem([], 'expected an object { "templateId", "newId", "values" }', 'Write each link as an object.');
  const unknown = Object.keys(entry).filter((k) => !LINK_KEYS.has(k));
  if (unknown.length > 0) return problem([unknown[0] ?? ''], `unknown key ${JSON.stringify(unknown[0])}`, 'A link has exactly the keys "templateId", "newId" and "values".');
  const { templateId, newId, values } = entry;
  if (typeof newId !== 'string' || newId === '') return problem(['newId'], '"newId" must be a non-empty string', 'Give the linked policy a unique id.');
  if (typeof templateId !== 'string') return problem(['templateId'], '"templateId" must be a string', 'Name the template to link, by its @id.', newId);
  const template = templates.get(templateId);
  if (template === undefined) return problem(['templateId'], `unknown template ${JSON.stringify(templateId)}`, knownTemplatesHint(templates), newId);
  if (!isPlainObject(values)) return problem(['values'], '"values" must be an object of slot values', 'Write e.g. "values": { "?principal": { "type": "User", "id": "alice" } }.', newId);
  const filled: Partial<Record<SlotId, EntityRef>> = {};
  const before = issues.length;
  for (const [slot, raw] of Object.entries(values)) {
    if (!isSlotId(slot)) {
      problem(['values', slot], `unknown slot ${JSON.stringify(slot)}`, 'Slots are "?principal" and "?resource" (with the question mark).', newId);
    } else if (!template.slots.includes(slot)) {
      problem(['values', slot], `extra slot: template ${JSON.stringify(templateId)} has no ${slot}`, `Remove ${slot}; the template's slots are ${template.slots.join(', ')}.`, newId);
    } else {
      const ref = entityRefFromData(raw);
      if (ref.ok) filled[slot] = ref.ref;
      else problem(['values', slot], `${slot}: ${ref.message}`, 'Give slot values as entity uids.', newId);
    }
  }
  for (const slot of template.slots) {
    if (!(slot in values)) problem(['values'], `missing slot: template ${JSON.stringify(templateId)} needs a value for ${slot}`, `Add "${slot}": { "type": ..., "id": ... } to "values".`, newId);
  }
  if (issues.length > before) return undefined;
  return { templateId, newId, values: filled, position: { file: doc.file, ...doc.at([index]) } };
}

/**
 * Parses and checks a links file against the loaded templates. Ids already taken by policies and
 * templates (`taken`) cannot be reused as link ids.
 *
 * @example
 * const { links, issues } = parseLinks({ file: 'links.json', content }, templatesById, idsTaken, 1 << 20);
 */
export function parseLinks(
  input: SourceInput,
  templates: ReadonlyMap<string, LoadedTemplate>,
  taken: ReadonlyMap<string, SourcePosition>,
  maxBytes: number,
): { links: ParsedLink[]; issues: PolicyLoadIssue[] } {
  const parsed = parseDataDocument(input.file, input.content, 'PCL_POLICY_LINK', { maxBytes });
  if (!parsed.ok) return { links: [], issues: parsed.issues };
  const { doc } = parsed;
  if (!Array.isArray(doc.value)) {
    return { links: [], issues: [doc.issue('PCL_POLICY_LINK', [], 'the links file must hold an array of links', 'Write [ { "templateId": ..., "newId": ..., "values": { ... } } ].')] };
  }
  const issues: PolicyLoadIssue[] = [];
  const links: ParsedLink[] = [];
  const seen = new Map<string, SourcePosition>(taken);
  doc.value.forEach((entry, index) => {
    const link = checkEntry(doc, index, entry, templates, issues);
    if (link === undefined) return;
    const earlier = seen.get(link.newId);
    if (earlier !== undefined) {
      issues.push(
        doc.issue('PCL_POLICY_DUPLICATE_ID', [index, 'newId'], `link #${index}: id ${JSON.stringify(link.newId)} is already used at ${formatIssueLocation(earlier)}`, 'Give every policy, template and link its own id.', link.newId),
      );
      return;
    }
    seen.set(link.newId, link.position);
    links.push(link);
  });
  return { links, issues };
}

function fill<C extends PrincipalConstraint | ResourceConstraint>(scope: C, value: EntityRef | undefined): C {
  if (value === undefined) return scope;
  const entity: EntityUidJson = { type: value.type, id: value.id };
  if ((scope.op === '==' || scope.op === 'in') && 'slot' in scope) return { op: scope.op, entity } as C;
  if (scope.op === 'is' && scope.in !== undefined && 'slot' in scope.in) return { ...scope, in: { entity } };
  return scope;
}

/** The policy a link stands for: the template's EST with its slots replaced by the link's values. */
export function linkedPolicy(template: LoadedTemplate, link: ParsedLink): LoadedPolicy {
  const est: PolicyJson = {
    ...template.est,
    principal: fill(template.est.principal, link.values['?principal']),
    resource: fill(template.est.resource, link.values['?resource']),
  };
  return {
    id: link.newId,
    effect: template.effect,
    est,
    annotations: template.annotations,
    source: link.position,
    clauses: template.clauses,
    link: { templateId: link.templateId, values: link.values },
  };
}

/** The link in cedar-wasm's form, for the validator. */
export function cedarTemplateLink(link: ParsedLink): TemplateLink {
  const values: Record<string, EntityUidJson> = {};
  for (const slot of SLOTS) {
    const v = link.values[slot];
    if (v !== undefined) values[slot] = { type: v.type, id: v.id };
  }
  return { templateId: link.templateId, newId: link.newId, values };
}
