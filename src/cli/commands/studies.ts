/** `pxp studies --storage postgresql://…`: the search studies a database holds, with their progress. */
import { StudyDatabase } from '../../core/search/storage/postgres/study-database';
import { parseStorageUrl } from '../../core/search/storage/postgres/storage-url';
import { Command } from '../command';
import { requiredString } from '../flags';

export const studiesCommand: Command = {
  name: 'studies',
  summary:
    'list the search studies in a PostgreSQL database (pxp search --storage): trials finished, running, workers, best AUC',
  usage: 'pxp studies --storage postgresql://USER@HOST:PORT/DB',
  options: {
    storage: {
      type: 'string',
      placeholder: 'URL',
      description: 'postgresql://USER@HOST:PORT/DB[?sslmode=MODE] (the password from PGPASSWORD or ~/.pgpass)',
    },
  },
  required: ['storage'],
  async run(flags, ctx) {
    const url = parseStorageUrl(requiredString(flags, 'storage', 'pass --storage postgresql://USER@HOST:PORT/DB'));
    const db = await StudyDatabase.connect(url, ctx.log);
    try {
      const studies = await db.list();
      const rows = studies.map(
        (s) =>
          `  ${s.name}: ${s.done}/${s.trialsWanted} trials${s.running ? `, ${s.running} running on ${s.workers} worker${s.workers > 1 ? 's' : ''}` : ''}${s.best !== undefined ? `, best AUC ${s.best.toFixed(4)}` : ''} (batch ${s.batch}, created ${s.createdAt}${s.lastTrialAt ? `, last trial ${s.lastTrialAt}` : ''})`,
      );
      return {
        value: { storage: url.display, studies },
        text: studies.length
          ? [`${studies.length} stud${studies.length > 1 ? 'ies' : 'y'} in ${url.display}:`, ...rows].join('\n')
          : `no study in ${url.display}`,
      };
    } finally {
      await db.close();
    }
  },
};
