export { getQueueStatus, type QueueStatus, type QueueStatusOptions } from './queue-status.js';
