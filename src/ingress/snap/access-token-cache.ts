/** How many issued tokens are remembered; past that the oldest are looked up in the store again. */
const MAX_TOKENS = 10_000;

interface Known {
  readonly sourceId: string;
  readonly expiresAt: number;
}

/**
 * The access tokens this process has issued or verified, by hash, with their expiry: a notify
 * with a known token skips a database read. The store stays the authority: a token this process
 * does not know (issued by another replica, or forgotten) is looked up there, and only tokens
 * the store vouched for are remembered. Refusals are never cached, so nothing here can make a
 * refused token valid.
 */
export class AccessTokenCache {
  private readonly tokens = new Map<string, Known>();

  remember(tokenHash: string, sourceId: string, expiresAt: Date): void {
    this.tokens.set(tokenHash, { sourceId, expiresAt: expiresAt.getTime() });
    if (this.tokens.size > MAX_TOKENS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }

  /** True when known valid for this source at `now`; false when known not to be; null when unknown. */
  check(tokenHash: string, sourceId: string, now: Date): boolean | null {
    const known = this.tokens.get(tokenHash);
    if (!known) return null;
    if (known.expiresAt <= now.getTime()) {
      this.tokens.delete(tokenHash);
      return false;
    }
    return known.sourceId === sourceId;
  }
}
