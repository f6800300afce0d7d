import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Ledger, Resource } from './ledger.js';

/** Undoes one resource; must be idempotent (undoing twice, or something never made, is fine). */
export type Undo = (resource: Resource) => Promise<void>;

/**
 * Resources of a run, released last-in first-out. Each is in the ledger
 * before it exists, so a crash at any moment leaves a complete undo list.
 */
export class ResourceScope {
  private readonly held: { id: number; resource: Resource }[] = [];

  constructor(
    private readonly ledger: Ledger,
    private readonly undo: Undo,
    private readonly clock: Clock,
  ) {}

  /** Records the resource, then creates it. If creating fails, undoes whatever part of it was made. */
  async acquire<T>(resource: Resource, create: () => Promise<T>): Promise<{ id: number; value: T }> {
    const id = this.ledger.acquire(resource, this.clock.now());
    this.held.push({ id, resource });
    try {
      return { id, value: await create() };
    } catch (error) {
      await this.release(id).catch(() => undefined);
      throw error;
    }
  }

  async release(id: number): Promise<void> {
    const index = this.held.findIndex((h) => h.id === id);
    if (index < 0) return;
    const [entry] = this.held.splice(index, 1);
    await this.undo(entry!.resource);
    this.ledger.release(id, this.clock.now());
  }

  /** A revert for several resources acquired together: releases them all at once. */
  releasing(ids: readonly number[]): () => Promise<void> {
    return async () => {
      await Promise.all(ids.map((id) => this.release(id)));
    };
  }

  /** Releases everything still held, newest first; keeps going past failures and reports them. */
  async releaseAll(): Promise<string[]> {
    const failures: string[] = [];
    while (this.held.length > 0) {
      const { id, resource } = this.held[this.held.length - 1]!;
      try {
        await this.release(id);
      } catch (error) {
        this.held.pop();
        failures.push(`${resource.kind}: ${errorMessage(error)}`);
      }
    }
    return failures;
  }
}
