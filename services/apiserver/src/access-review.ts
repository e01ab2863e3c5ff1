/**
 * authorization.k8s.io/v1 SubjectAccessReview, SelfSubjectAccessReview and
 * LocalSubjectAccessReview: create-only, never stored; the answer is the review with
 * status.allowed (and the deciding binding as reason), from the same authorizer requests meet.
 * SelfSubjectRulesReview lists the requester's rules in a namespace (`kubectl auth can-i --list`).
 */
import { fieldErrors, type FieldError } from '@virtsim/apimachinery';
import type { Decision } from './authz.ts';
import type { Attributes } from './rbac-rules.ts';
import type { ResourceRequest } from './resource-request.ts';
import { badRequest, invalid } from './status.ts';

type Obj = Record<string, any>;
const GROUP = 'authorization.k8s.io';
const REVIEWS = new Set(['subjectaccessreviews', 'selfsubjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectrulesreviews']);

export const isAccessReview = (group: string, resource: string) => group === GROUP && REVIEWS.has(resource);

/** spec.resourceAttributes / spec.nonResourceAttributes -> what the authorizer is asked. */
function attributesOf(spec: Obj): Attributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    return {
      verb: ra.verb ?? '',
      resource: { group: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource ?? '', namespace: ra.namespace ?? '', name: ra.name ?? '' },
    };
  }
  return { verb: spec.nonResourceAttributes?.verb ?? '', path: spec.nonResourceAttributes?.path ?? '' };
}

function validateSpec(spec: Obj, needsSubject: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes)
    errs.push(fieldErrors.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  if (!spec.resourceAttributes && !spec.nonResourceAttributes)
    errs.push(fieldErrors.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  if (needsSubject && !spec.user && !spec.groups?.length) errs.push(fieldErrors.invalid('spec.user', spec.user ?? '', 'at least one of user or group must be specified'));
  return errs;
}

/** POST of a review (its create already authorized): checks it, asks the authorizer for its subject (or the requester), answers 201. */
export async function serveAccessReview(r: ResourceRequest): Promise<string> {
  const { rt } = r;
  const body = await r.object();
  if (body.kind !== undefined && body.kind !== rt.kind) throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${rt.kind})`);
  const spec: Obj = { ...(body.spec ?? {}) };
  if (rt.resource === 'selfsubjectrulesreviews') return sendRules(r, body, spec);
  const self = rt.resource === 'selfsubjectaccessreviews';
  const errs = validateSpec(spec, !self);
  if (errs.length) throw invalid(rt.kind, GROUP, '', errs);
  if (rt.resource === 'localsubjectaccessreviews') {
    const ns = r.ns ?? '';
    if (spec.resourceAttributes?.namespace && spec.resourceAttributes.namespace !== ns)
      throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${ns}`);
    if (spec.resourceAttributes) spec.resourceAttributes = { ...spec.resourceAttributes, namespace: ns };
  }
  const subject = self ? r.user : { username: spec.user ?? '', groups: spec.groups ?? [] };
  const d: Decision = r.state.authz.decide(subject, attributesOf(spec));
  const status: Obj = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  const metadata = { ...(body.metadata ?? {}), creationTimestamp: null, ...(rt.namespaced ? { namespace: r.ns } : {}) };
  r.send(201, JSON.stringify({ kind: rt.kind, apiVersion: `${GROUP}/${rt.version}`, metadata, spec, status }));
  return 'create';
}

/** A SelfSubjectRulesReview: the requester's resource and non-resource rules in spec.namespace. */
function sendRules(r: ResourceRequest, body: Obj, spec: Obj): string {
  const rules = r.state.authz.rulesFor(r.user, spec.namespace ?? '');
  const resourceRules = rules.filter((x) => !x.nonResourceURLs?.length).map(({ verbs, apiGroups, resources, resourceNames }) => ({ verbs: verbs ?? [], apiGroups, resources, resourceNames }));
  const nonResourceRules = rules.filter((x) => x.nonResourceURLs?.length).map(({ verbs, nonResourceURLs }) => ({ verbs: verbs ?? [], nonResourceURLs }));
  const status = { resourceRules, nonResourceRules, incomplete: false };
  r.send(201, JSON.stringify({ kind: r.rt.kind, apiVersion: `${GROUP}/${r.rt.version}`, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec, status }));
  return 'create';
}
