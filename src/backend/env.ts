// An environment variable where there is a process (Node); undefined in the browser.
export const env = (k: string): string | undefined => (typeof process !== 'undefined' ? process.env?.[k] : undefined);
