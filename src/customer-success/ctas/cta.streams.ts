export const ctaStream = (ctaId: string) => `cta-${ctaId}`;
