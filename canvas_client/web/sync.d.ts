// Types of sync.js, the Tussentafel protocol client (docs/protocol.md, docs/sync-js.md).
// Checked with `tsc --noEmit` against tests/js/example.ts in the test suite.

import type { Element } from './kinds.js';

export type { Element };

/** The protocol version this client speaks (the welcome's `protocol`). */
export declare const PROTOCOL: 1;
export declare const SUBPROTOCOL: 'tussentafel.v1.json';
/** Close codes after which reconnecting cannot help. */
export declare const FATAL_CLOSES: Set<number>;
/** The fields the server stamps (never set them in a patch). */
export declare const STAMPS: readonly ['author', 'v', 'created', 'updated'];

export type ElementId = string;
export type ParticipantId = string;
export type Role = 'facilitator' | 'participant' | 'viewer';
export type Status = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';

// -- ops -----------------------------------------------------------------------

/** Create an element, or replace it whole (stamps in `el` are ignored). */
export interface PutOp { op: 'put'; el: Element }
/** Change some fields; `author`, `v`, `created`, `updated`, `id`, `kind` are refused. */
export interface PatchOp { op: 'patch'; id: ElementId; set?: Record<string, unknown>; unset?: string[] }
export interface DelOp { op: 'del'; id: ElementId }
/** Bring a deleted element back as it was: same id, author and content. */
export interface RestoreOp { op: 'restore'; id: ElementId }
export type Op = PutOp | PatchOp | DelOp | RestoreOp;

// -- server messages -----------------------------------------------------------

export interface Participant {
  id: ParticipantId;
  name: string;
  color: string;
  role: Role;
  online: boolean;
  cursor?: [number, number] | null;
  viewport?: [number, number, number, number] | null;
  selection?: ElementId[] | null;
  /** A facilitator's pointer on the projector (present mode); null: hidden. */
  pointer?: [number, number] | null;
}

export interface Session {
  timer: { label: string; ends: number } | null;
  follow: ParticipantId | null;
  private: boolean;
  private_frame: ElementId | null;
  /** Private items written in the private round so far (0 when it is off). */
  private_count: number;
  /** The frame the projector presents, or null. */
  present: ElementId | null;
  /** The projector shows the insights. */
  present_insights: boolean;
}

export interface Welcome {
  type: 'welcome';
  protocol: number;
  board: string;
  clock: number;
  role: Role;
  you: ParticipantId;
  full: boolean;
  elements: Element[];
  deleted: ElementId[];
  participants: Participant[];
  session: Session;
  time: number;
}

export interface AckOk { type: 'ack'; id: string | number; ok: true; clock: number; time: number }
export interface AckFail {
  type: 'ack';
  id: string | number;
  ok: false;
  code: ErrorCode;
  message: string;
  op?: number;
}
export type Ack = AckOk | AckFail;

export type ErrorCode =
  | 'bad_message' | 'unauthorized' | 'unknown_board' | 'invalid' | 'forbidden' | 'conflict'
  | 'too_large' | 'rate_limited' | 'unavailable' | 'not_found' | 'full' | 'incompatible'
  | (string & {});

export interface ServerError {
  type: 'error';
  code: ErrorCode;
  message: string;
  fatal: boolean;
  /** With `incompatible`: the protocol version the server speaks. */
  protocol?: number;
}

export type BoardEvent =
  | { type: 'event'; name: 'timer'; timer: { label: string; ends: number } | null }
  | { type: 'event'; name: 'follow'; follow: ParticipantId | null }
  | { type: 'event'; name: 'private'; private: boolean; frame: ElementId | null; count: number }
  | { type: 'event'; name: 'private_count'; count: number }
  | { type: 'event'; name: 'reveal'; ids: ElementId[]; frame: ElementId | null; clock: number }
  | { type: 'event'; name: 'lock'; locked: boolean; ids: ElementId[]; clock: number }
  | { type: 'event'; name: 'snapshot'; snapshot: SnapshotMeta }
  | { type: 'event'; name: 'insights'; insights: Record<string, unknown> };

export interface SnapshotMeta {
  snapshot: string;
  label: string;
  clock: number;
  created_at: number;
  elements: number;
}

export interface CommandResult {
  type: 'result';
  id: string | number;
  ok: true;
  [field: string]: unknown;
}

// -- events of BoardSync ---------------------------------------------------------

export interface SyncEvents {
  status: { status: Status };
  welcome: Welcome;
  /** `ids`: the touched element ids, or null when everything may have changed. */
  change: {
    ids: Set<ElementId> | null;
    reason: 'welcome' | 'remote' | 'local' | 'ack' | 'rollback';
    by?: ParticipantId;
  };
  /** `all`: the whole list (after a welcome) or only the entries that changed. */
  presence: { participants: Participant[]; all: boolean };
  session: Session;
  event: BoardEvent;
  ack: AckOk & { ops: Op[] | null };
  /** `client`: set when the batch was a closed tab's, sent under that tab's
   * client id after this instance's welcome (it was never in this replica). */
  rejected: AckFail & { ops: Op[] | null; client?: string };
  error: ServerError;
  /** The handshake was refused before it opened: 403 (this page's origin may
   * not connect; then 'closed' follows) or 503 (full; it keeps retrying). */
  refused: { status: number; code: ErrorCode; message: string };
  closed: { code: number; reason: string; status?: number };
  /** Unacked batches no longer all fit in storage (`full`), or fit again. */
  outbox: { stored: number; total: number; full: boolean };
  /** A closed tab's stored batches were sent under its client id: `acked` went
   * through, `refused` were refused ('rejected' said which), `left` are still
   * stored (for a later try). */
  recovered: { client: string; acked: number; refused: number; left: number };
}

export interface BoardSyncOptions {
  board: string;
  token: string;
  name?: string;
  /** http(s) origin of the server (default: this page's). */
  origin?: string;
  /** This instance's id; default: the tab's (sessionStorage) for the first
   * instance, a fresh one for every further instance alive at the same time. */
  clientId?: string;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  presenceHz?: number;
  /** Check or change a batch before it is applied and sent; throw to refuse it. */
  beforePush?: (ops: Op[]) => Op[];
  /** Where unacked batches survive a reload (default: localStorage for the
   * tab's client id or a given one; null: memory only). */
  outbox?: Storage | null;
}

export interface PresenceFields {
  cursor?: [number, number] | null;
  viewport?: [number, number, number, number] | null;
  selection?: ElementId[] | null;
  /** Facilitators only (others get a `forbidden` error). */
  pointer?: [number, number] | null;
}

export declare class CommandError extends Error {
  constructor(code: string, message?: string);
  code: ErrorCode | 'offline' | 'timeout';
}

export declare class Gap extends Error {}
/** An acked restore of an element this replica never held (it catches up). */
export declare class Unknown extends Gap {}

export declare class Replica {
  me: ParticipantId;
  clock: number;
  base: Map<ElementId, Element>;
  pending: Map<string, Op[]>;
  elements: Map<ElementId, Element>;
  /** The last content of deleted elements (what a restore brings back). */
  graves: Map<ElementId, Element>;
}

export declare class BoardSync {
  constructor(options: BoardSyncOptions);
  readonly board: string;
  readonly clientId: string;
  readonly url: string;
  readonly httpUrl: string;
  readonly replica: Replica;
  status: Status;
  role: Role | '';
  session: Session;
  participants: Map<ParticipantId, Participant>;
  closedBy: { code: number; reason: string; status?: number } | null;
  beforePush: ((ops: Op[]) => Op[]) | null;
  /** Some unacked batches did not fit in storage: a reload would lose them. */
  outboxFull: boolean;
  get elements(): Map<ElementId, Element>;
  get clock(): number;
  get you(): ParticipantId;
  get live(): boolean;
  serverNow(): number;
  on<K extends keyof SyncEvents>(type: K, fn: (detail: SyncEvents[K]) => void): () => void;
  connect(): void;
  close(): void;
  reconnectNow(): void;
  rename(name: string): void;
  push(ops: Op[]): { batch: string; ack: Promise<Ack> };
  cmd(name: string, args?: Record<string, unknown>): Promise<CommandResult>;
  presence(fields: PresenceFields): void;
}

export declare function newId(prefix?: string): string;
export declare function tabClientId(storage?: Storage | null): string;
export declare function opId(op: Op): ElementId;
export declare function applyOps(
  elements: Map<ElementId, Element>,
  ops: Op[],
  options?: {
    clock?: number | null;
    time?: number | null;
    me?: string | null;
    graves?: { get(id: ElementId): Element | undefined; set(id: ElementId, el: Element): void } | null;
  },
): void;
