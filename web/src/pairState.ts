// What the pair page shows: the query's snapshot, with the live events merged in.
// Events may repeat (a reconnect replays the history) and may overlap the snapshot;
// every merge here is idempotent, and a pair only moves forward, so the most advanced
// state is the newest.
import type { CheckIn, Milestone, PairDetail, PairEvent, PairState } from "./operations";

export interface LiveUpdates {
  pair: PairState | null;
  milestones: Record<string, Milestone>;
  checkIns: Record<string, CheckIn>;
  events: number;
}

export const noUpdates: LiveUpdates = { pair: null, milestones: {}, checkIns: {}, events: 0 };

const STATUS_RANK = { ACTIVE: 0, COMPLETED: 1, ENDED: 1 } as const;

/** The more advanced of two states of one pair (status, then check-ins, then progress). */
export function newest(a: PairState | null, b: PairState | null): PairState | null {
  if (!a || !b) return a ?? b;
  const rank = (p: PairState) => [STATUS_RANK[p.status], p.checkInCount, p.progress];
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) {
    if (ra[i] !== rb[i]) return ra[i] > rb[i] ? a : b;
  }
  return a;
}

/** The subscription's accumulator (urql's `useSubscription` handler). */
export function applyEvent(previous: LiveUpdates | undefined, event: PairEvent): LiveUpdates {
  const updates = previous ?? noUpdates;
  const next: LiveUpdates = {
    ...updates,
    pair: newest(updates.pair, event.pair),
    events: updates.events + 1,
  };
  if (event.__typename === "MilestoneCompletedEvent") {
    next.milestones = { ...updates.milestones, [event.milestone.id]: event.milestone };
  } else if (event.__typename === "CheckInPostedEvent") {
    next.checkIns = { ...updates.checkIns, [event.checkIn.id]: event.checkIn };
  }
  return next;
}

export interface PairView {
  pair: PairDetail;
  milestones: Milestone[];
  checkIns: CheckIn[];
  completedCount: number;
}

export function mergePair(snapshot: PairDetail, updates: LiveUpdates): PairView {
  const state = newest(snapshot, updates.pair) ?? snapshot;
  const milestones = snapshot.milestones.map((m) => {
    const live = updates.milestones[m.id];
    return live?.completedAt && !m.completedAt ? { ...m, ...live } : m;
  });
  const byId = new Map<string, CheckIn>();
  for (const { node } of snapshot.checkIns?.edges ?? []) byId.set(node.id, node);
  for (const checkIn of Object.values(updates.checkIns)) byId.set(checkIn.id, checkIn);
  const checkIns = [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return {
    pair: { ...snapshot, ...pickState(state) },
    milestones,
    checkIns,
    completedCount: milestones.filter((m) => m.completedAt).length,
  };
}

function pickState(p: PairState): PairState {
  const { id, status, progress, checkInCount, lastCheckInAt, nextCheckInDue } = p;
  return { id, status, progress, checkInCount, lastCheckInAt, nextCheckInDue };
}
