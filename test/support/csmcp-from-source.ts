// Runs the CLI from the TypeScript sources (node -r @swc-node/register), so tests never run a stale build.
import { main } from '../../src/cli/main';

void main(process.argv);
