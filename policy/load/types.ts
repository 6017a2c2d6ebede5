// What loading produces: plain data the compiler turns into an evaluator. Nothing here refers back
// to cedar-wasm instances or files; it can be cached, serialized, or built by hand in tests.

import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { PolicyLoadIssue } from '../errors.js';

export type Effect = 'permit' | 'forbid';
export type SlotId = '?principal' | '?resource';

/** An entity uid in link values, always in this plain form (never `{ __entity: ... }`). */
export interface EntityRef {
  readonly type: string;
  readonly id: string;
}

/** Where a policy starts: its first annotation, or its effect keyword. Lines and columns are 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A `when { ... }` / `unless { ... }` clause as written, for explanations ("this clause was false"). */
export interface ClauseSource extends SourcePosition {
  readonly kind: 'when' | 'unless';
  readonly text: string;
}

/**
 * Annotation values as Cedar gives them; a bare `@flag` has the value `null`. For linked policies
 * these are the template's annotations.
 */
export type Annotations = Readonly<Record<string, string | null>>;

export interface LoadedPolicy {
  readonly id: string;
  readonly effect: Effect;
  /**
   * cedar-wasm's JSON form (EST); for a template-linked policy, with the slots filled in. Integer
   * literals beyond ±(2^53 - 1) are bigint, exact (restored as policy/parse.ts parses them).
   */
  readonly est: PolicyJson;
  readonly annotations: Annotations;
  /** For a linked policy, where the link is (in the links file). */
  readonly source: SourcePosition;
  /** Its conditions in source order, as written (for a link, the template's, in the template's file). */
  readonly clauses: readonly ClauseSource[];
  /** Present when this policy is a template link. */
  readonly link?: { readonly templateId: string; readonly values: Readonly<Partial<Record<SlotId, EntityRef>>> };
}

export interface LoadedTemplate {
  readonly id: string;
  readonly effect: Effect;
  /** cedar-wasm's JSON form, with `{ slot: "?principal" }` where a slot is. */
  readonly est: PolicyJson;
  readonly annotations: Annotations;
  readonly source: SourcePosition;
  readonly clauses: readonly ClauseSource[];
  /** The slots the template uses, in the order `?principal`, `?resource`. */
  readonly slots: readonly SlotId[];
}

/** An action the schema declares, with the action groups it is in. */
export interface ActionEntity {
  readonly uid: EntityRef;
  readonly parents: readonly EntityRef[];
}

export interface LoadedPolicySet {
  /** Static policies in file order (files sorted by path), then linked policies in links-file order. */
  readonly policies: readonly LoadedPolicy[];
  readonly templates: readonly LoadedTemplate[];
  /** How many of `policies` are template links. */
  readonly linkCount: number;
  /**
   * `sha256:<hex>` over the policy files' names and bytes and the links file: two loads with the same
   * version made the same decisions. The schema is not part of it (it only validates).
   */
  readonly version: string;
  /** The policy files read, as shown in errors and `source.file`. */
  readonly files: readonly string[];
  /**
   * The action entities the schema declares (none without a schema). Cedar reads the action hierarchy
   * (`action in Action::"read"`) from the schema, our evaluator from entity data: add these to the
   * entity store.
   */
  readonly actions: readonly ActionEntity[];
  /** Validator warnings (e.g. a policy that can never apply): reported, not fatal. */
  readonly warnings: readonly PolicyLoadIssue[];
}

/** One input file, already in memory. */
export interface SourceInput {
  /** The path shown in errors and `source.file`. */
  readonly file: string;
  /**
   * A stable name for derived policy ids and the version: the path relative to the policy directory,
   * with `/` separators. Defaults to `file`.
   */
  readonly name?: string;
  readonly content: Uint8Array | string;
}
