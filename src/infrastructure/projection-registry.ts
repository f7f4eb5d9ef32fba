import { Injectable } from '@nestjs/common';
import type { Projection } from '@csmcp/projections';

/**
 * Feature modules register their projections here while the module graph initialises; the runner
 * starts them once the application has bootstrapped.
 */
@Injectable()
export class ProjectionRegistry {
  private readonly byName = new Map<string, Projection>();

  register(...projections: Projection[]): void {
    for (const projection of projections) {
      if (this.byName.has(projection.name)) throw new Error(`Projection "${projection.name}" is registered twice`);
      this.byName.set(projection.name, projection);
    }
  }

  all(): Projection[] {
    return [...this.byName.values()];
  }
}
