import { defineQueueContract } from '../queue-contract.js';

await defineQueueContract('mysql');
