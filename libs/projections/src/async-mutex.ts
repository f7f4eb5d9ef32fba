/** A lock for async work: holders get it in the order they asked. */
export class AsyncMutex {
  private locked = false;
  private readonly waiting: Array<() => void> = [];

  get isLocked(): boolean {
    return this.locked;
  }

  /** Resolves with the function that releases the lock (call it exactly once). */
  acquire(): Promise<() => void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  async runExclusive<T>(work: () => T | Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The lock passes straight to the next holder: nobody can slip in between.
      if (next) next();
      else this.locked = false;
    };
  }
}
