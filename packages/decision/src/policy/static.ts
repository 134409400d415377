import { argminAvailable, isForced, type Policy } from './types.ts';

/** The cheapest available option at the start, kept until interrupted, then the cheapest available. */
export const staticPolicy: Policy<null> = {
  name: 'static',
  init: () => null,
  decide(_ctx, point) {
    if (!isForced(point)) return { choice: point.current, state: null, reason: 'keep' };
    return {
      choice: argminAvailable(point, (i) => point.prices[i]!),
      state: null,
      reason: 'cheapest available',
    };
  },
};
