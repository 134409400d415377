import { argminAvailable, isForced, type Policy } from './types.ts';

/** At every decision point, move to the cheapest available option if it is cheaper than the current one. */
export const cheapestNow: Policy<null> = {
  name: 'cheapest_now',
  init: () => null,
  decide(_ctx, point) {
    const best = argminAvailable(point, (i) => point.prices[i]!);
    if (isForced(point)) return { choice: best, state: null, reason: 'cheapest available' };
    const stay = best === point.current || point.prices[best]! >= point.prices[point.current]!;
    return stay
      ? { choice: point.current, state: null, reason: 'current is cheapest' }
      : { choice: best, state: null, reason: 'cheaper option' };
  },
};
