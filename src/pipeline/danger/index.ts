/**
 * Danger in a resident's own words: which situation a message tells of (violence, threats,
 * confinement, sexual abuse, trafficking, self-harm, injury, people trapped, missing people,
 * danger to a child or an old person, police detention), whether it is happening now, and
 * the reply a resident needs first.
 *
 * @example
 * const em = detectEmergency(normalizeText(message).text);
 * if (em.emergency) send(safetyReply(em.kinds)), refer(urgencyFor(em.kinds), kindLabels(em.kinds));
 */
export { detectEmergency, type EmergencyResult, type Victim } from "./detect.ts";
export { type EmergencyKind } from "./cues.ts";
export { emergencyTopic, KIND_LABEL, kindLabels, safetyReply, situationAdvice, urgencyFor } from "./reply.ts";
