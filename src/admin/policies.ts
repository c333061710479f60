import { Router } from 'express';
import type { Gateway } from '../gateway/gateway';
import { sendError } from './respond';

/**
 * `GET /tyk/policies` (every policy in force, as Tyk lists them) and `GET /tyk/policies/{id}`.
 * Policies come from the files named in the gateway config (`policies.policy_source: "file"`);
 * changing them means editing those files and reloading, so writes are refused here.
 */
export function createPoliciesRouter(gateway: Gateway): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json([...gateway.policies.values()]);
  });
  router.get('/:policyId', (req, res) => {
    const policy = gateway.policies.get(req.params.policyId);
    if (!policy) return sendError(res, 404, 'Policy not found');
    res.json(policy);
  });
  router.all(['/', '/:policyId'], (_req, res) => {
    sendError(res, 405, 'policies are read from the files of policies.policy_record_name / policies.policy_path: edit them and reload');
  });
  return router;
}
