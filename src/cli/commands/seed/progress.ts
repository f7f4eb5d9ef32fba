import { Presets, SingleBar } from 'cli-progress';

/**
 * Progress of a long CLI run on stderr (stdout is for the result): a bar on a terminal, otherwise a
 * line every few seconds, so logs of a scripted 50,000-company seed still show it moving.
 */
export class Progress {
  private bar: SingleBar | null = null;
  private total = 0;
  private done = 0;
  private lastLine = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly events: () => number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly lineEveryMs = 5_000,
  ) {}

  start(total: number): void {
    this.total = total;
    if (this.stream.isTTY) {
      this.bar = new SingleBar(
        { format: `${this.label} [{bar}] {value}/{total} {percentage}% | {events} events, {rate} events/s | ETA {eta_formatted}`, stream: this.stream },
        Presets.shades_classic,
      );
      this.bar.start(total, 0, { events: 0, rate: 0 });
    } else this.line();
  }

  tick(count = 1): void {
    this.done += count;
    if (this.bar) this.bar.update(this.done, this.stats());
    else if (Date.now() - this.lastLine >= this.lineEveryMs) this.line();
  }

  stop(): void {
    if (this.bar) this.bar.stop();
    else this.line();
  }

  private stats(): { events: number; rate: number } {
    const events = this.events();
    return { events, rate: Math.round(events / Math.max(0.001, (Date.now() - this.started) / 1000)) };
  }

  private line(): void {
    this.lastLine = Date.now();
    const { events, rate } = this.stats();
    const percent = this.total === 0 ? 100 : Math.floor((100 * this.done) / this.total);
    this.stream.write(`${this.label}: ${this.done}/${this.total} companies (${percent}%), ${events} events, ${rate} events/s\n`);
  }
}
