import { LocalBus } from '../src/index.ts';
import { runBusContract } from './bus-contract.ts';

runBusContract('LocalBus', async (opts) => new LocalBus(opts));
