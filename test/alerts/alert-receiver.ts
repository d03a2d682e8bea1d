/**
 * A local HTTP receiver for alert webhooks: records every request, and can refuse
 * connections (not listening yet), answer 500 to the next requests, or hold requests
 * unanswered until released.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook body as the worker POSTs it. */
export interface AlertBody {
  event: string;
  alertId: string;
  schema: string;
  jobId: string;
  task: string;
  arguments: Record<string, unknown> | null;
  final: boolean;
  attempt: number;
  maxAttempts: number;
  cause: string;
  error: { message: string; stack: string | null };
  node: string | null;
  failedAt: string;
  delivery: number;
}

export interface ReceivedAlert {
  body: AlertBody;
  status: number;
  idempotencyKey: string | undefined;
}

export class AlertReceiver {
  readonly received: ReceivedAlert[] = [];
  /** Requests that arrived, answered or not. */
  arrived = 0;
  inFlight = 0;
  maxInFlight = 0;
  #server: http.Server | null = null;
  #failNext = 0;
  #holding = false;
  #held: Array<() => void> = [];

  private constructor(readonly port: number) {}

  /** A receiver on a free port that is not listening yet: connections are refused until `listen()`. */
  static async onFreePort(): Promise<AlertReceiver> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new AlertReceiver(port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/alerts`;
  }

  /** Answers 500 to the next `n` requests. */
  failNext(n: number): void {
    this.#failNext = n;
  }

  /** Holds every request unanswered until `release()`. */
  hold(): void {
    this.#holding = true;
  }

  /** Answers the held requests, and the later ones at once. */
  release(): void {
    this.#holding = false;
    for (const answer of this.#held.splice(0)) answer();
  }

  /** Requests answered 2xx: the deliveries. */
  accepted(): AlertBody[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body);
  }

  async listen(): Promise<void> {
    this.#server = http.createServer((request, response) => {
      let text = '';
      request.on('data', (d: Buffer) => (text += d.toString()));
      request.on('end', () => {
        this.arrived++;
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const answer = (): void => {
          const status = this.#failNext > 0 ? (this.#failNext--, 500) : 200;
          const key = request.headers['idempotency-key'];
          this.received.push({ body: JSON.parse(text) as AlertBody, status, idempotencyKey: Array.isArray(key) ? key[0] : key });
          this.inFlight--;
          response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down for maintenance');
        };
        if (this.#holding) this.#held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    this.release();
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}
