// A counting semaphore. Used for hosts in flight (--forks), handshakes in flight (under sshd's MaxStartups)
// and channels per connection (under sshd's MaxSessions).
export class Limiter {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  acquire(): Promise<void> {
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(() => {
      this.#active++;
      resolve();
    }));
  }

  release(): void {
    this.#active--;
    const next = this.#waiting.shift();
    if (next) next();
  }
}
