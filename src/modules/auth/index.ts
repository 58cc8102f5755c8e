import { createRouter } from '../../http/hono';
import { authRouter } from './auth.routes';
import { facebookRouter } from './facebook.routes';
import { googleRouter } from './google.routes';
import { passkeysRouter } from './passkeys.routes';
import { sessionsRouter } from './sessions.routes';
import { twoFactorRouter } from './two-factor.routes';

/** Everything under /api/v1/auth. */
export const identityRouter = createRouter()
  .route('/auth', authRouter)
  .route('/auth', sessionsRouter)
  .route('/auth', googleRouter)
  .route('/auth', facebookRouter)
  .route('/auth', twoFactorRouter)
  .route('/auth', passkeysRouter);
