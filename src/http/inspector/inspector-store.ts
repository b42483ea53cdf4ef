import type { CapturedStatement } from '../../db/inspector/capture.js';
import type { QueryProblem } from '../../db/inspector/problems.js';

/** One request as the inspector page shows it. */
export interface InspectedRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly route: string;
  readonly status: number;
  readonly at: string;
  readonly totalMs: number;
  readonly databaseMs: number;
  readonly statements: readonly CapturedStatement[];
  readonly problems: readonly QueryProblem[];
  readonly budget: number | null;
}

/** The last requests with their SQL, newest first; old ones fall off the end. */
export class InspectorStore {
  readonly #requests: InspectedRequest[] = [];
  /** Every route ("GET /api/chamas") and the query budget it declares. */
  readonly routes = new Map<string, number | undefined>();

  constructor(private readonly capacity = 200) {}

  add(request: InspectedRequest): void {
    this.#requests.unshift(request);
    if (this.#requests.length > this.capacity) this.#requests.pop();
  }

  list(): readonly InspectedRequest[] {
    return this.#requests;
  }

  find(id: string): InspectedRequest | undefined {
    return this.#requests.find((request) => request.id === id);
  }
}
