// Imported first by the fault runner: the handlers' logs would drown its report (the crash child inherits it).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
export {};
