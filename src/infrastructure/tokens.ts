/** Injection tokens for the ports the application depends on (never on an adapter class). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const READ_MODEL_DB = Symbol('READ_MODEL_DB');
