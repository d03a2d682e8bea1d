export { type FailureAlert, type AlertCause, type AlertOn, ALERT_ON_VALUES } from './failure-alert.js';
export {
  type AlertOptions,
  type FailureAlertHandler,
  resolveAlertOptions,
  parseWebhookUrl,
  parseAlertOn,
  parseAlertCommand,
} from './alert-options.js';
export { InvalidAlertOptionError } from './alert-errors.js';
export { type AlertSummary } from './alert-delivery.js';
export { getAlertStatus, ALERT_COUNT_CAP, type AlertStatus } from './alert-status.js';
export { pruneAlerts, type PrunedAlerts } from './prune-alerts.js';
export { alertEnvironment } from './run-alert-command.js';
