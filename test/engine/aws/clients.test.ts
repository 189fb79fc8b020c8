/** engine/aws/clients: the fixed-delay retry strategy tests use instead of the SDK's real backoff. */
import { describe, expect, it } from 'vitest';
import { fixedDelayRetryStrategy } from '../../../engine/aws/clients.js';

describe('engine/aws/clients', () => {
  it.each([
    { errorType: 'THROTTLING', retried: true },
    { errorType: 'TRANSIENT', retried: true },
    { errorType: 'CLIENT_ERROR', retried: false },
    { errorType: 'SERVER_ERROR', retried: false },
  ])(
    'fixedDelayRetryStrategy retries $errorType: $retried (as the standard strategy)',
    async ({ errorType, retried }) => {
      const s = fixedDelayRetryStrategy(3, 7);
      const t0 = await s.acquireInitialRetryToken('scope');
      expect([t0.getRetryCount(), t0.getRetryDelay()]).toEqual([0, 0]);
      const next = s.refreshRetryTokenForRetry(t0, { errorType });
      if (!retried) {
        await expect(next).rejects.toThrow();
        return;
      }
      const t1 = await next;
      expect([t1.getRetryCount(), t1.getRetryDelay()]).toEqual([1, 7]);
      const t2 = await s.refreshRetryTokenForRetry(t1, { errorType });
      expect(t2.getRetryCount()).toBe(2);
      // maxAttempts 3 = the first call and two retries: no third retry.
      await expect(s.refreshRetryTokenForRetry(t2, { errorType })).rejects.toThrow();
    },
  );
});
