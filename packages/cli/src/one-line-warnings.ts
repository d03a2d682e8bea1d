/**
 * Node's process warnings, one line each, in jm's voice. Node prints a warning as several
 * lines with a hint about --trace-warnings; pg's SECURITY WARNING about `sslmode=require` is
 * ten lines for what a user needs in one.
 */
const SSL_MODES = /^SECURITY WARNING: The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'/;

/** The line jm prints for a warning. */
export function warningLine(warning: Error): string {
  if (SSL_MODES.test(warning.message)) {
    return (
      "jm: note: node-postgres treats sslmode=require (and prefer, verify-ca) as verify-full: the server's certificate is " +
      "checked; write sslmode=verify-full to say so, or add uselibpqcompat=true for libpq's meaning"
    );
  }
  return `jm: warning: ${warning.name === 'Warning' ? '' : `${warning.name}: `}${warning.message.split('\n')[0]}`;
}

/** Replaces Node's printing of process warnings (unless node runs with --no-warnings). */
export function printWarningsOnOneLine(write: (line: string) => void): void {
  if ((process as { noProcessWarnings?: boolean }).noProcessWarnings) return;
  process.removeAllListeners('warning');
  process.on('warning', (warning) => write(warningLine(warning)));
}
