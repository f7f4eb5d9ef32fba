/** Words the demo book is made of. Invented names; any likeness to a real company is chance. */

export const NAME_FIRST = [
  'Northwind', 'Bluepeak', 'Silverline', 'Redwood', 'Ironbridge', 'Brightwater', 'Stonefield', 'Clearview', 'Greenleaf',
  'Highgate', 'Oakridge', 'Lakeside', 'Summit', 'Harbor', 'Pinecrest', 'Riverbend', 'Sunfield', 'Westbrook', 'Eastwood',
  'Goldcrest', 'Blackstone', 'Whitecliff', 'Copperhill', 'Maplewood', 'Foxglen', 'Starling', 'Cobalt', 'Granite', 'Meridian',
  'Horizon', 'Keystone', 'Lumen', 'Nimbus', 'Orion', 'Polaris', 'Quarry', 'Sterling', 'Tidewater', 'Vanguard', 'Willow',
  'Zenith', 'Aspen', 'Beacon', 'Cedar', 'Delta', 'Ember', 'Falcon', 'Glacier', 'Hawthorn', 'Juniper', 'Kestrel', 'Larch',
  'Mosaic', 'Nova', 'Osprey', 'Prairie', 'Quill', 'Raven', 'Sequoia', 'Tundra',
] as const;

export const NAME_SECOND = [
  'Analytics', 'Logistics', 'Health', 'Foods', 'Systems', 'Energy', 'Financial', 'Robotics', 'Media', 'Labs', 'Software',
  'Retail', 'Insurance', 'Pharma', 'Networks', 'Mobility', 'Capital', 'Manufacturing', 'Biotech', 'Telecom', 'Travel',
  'Education', 'Security', 'Aerospace', 'Materials', 'Partners', 'Holdings', 'Dynamics', 'Solutions', 'Outfitters',
] as const;

export const NAME_SUFFIX = ['', '', '', '', 'Inc.', 'Group', 'GmbH', 'Ltd', 'SA', 'Co.', 'AG', 'BV'] as const;

export const INDUSTRIES = [
  'Software', 'Financial services', 'Healthcare', 'Manufacturing', 'Retail', 'Logistics', 'Media', 'Education',
  'Energy', 'Telecommunications', 'Insurance', 'Life sciences',
] as const;

export const REGIONS = [
  ['NA', 45],
  ['EMEA', 35],
  ['APAC', 15],
  ['LATAM', 5],
] as const;

export const FIRST_NAMES = [
  'Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Noah',
  'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Umar', 'Vera', 'Wei', 'Xenia', 'Yusuf', 'Zoe', 'Aisha', 'Bruno',
  'Clara', 'Diego', 'Emma', 'Felix', 'Hana', 'Ivan', 'Julia', 'Karim', 'Lena', 'Marco', 'Nadia', 'Oscar', 'Priya', 'Rafael',
  'Sofia', 'Tomas', 'Ulla', 'Victor', 'Yara', 'Zain',
] as const;

export const LAST_NAMES = [
  'Berg', 'Okafor', 'Martin', 'Nakamura', 'Rossi', 'Haddad', 'Kowalski', 'Silva', 'Schmidt', 'Dubois', 'Larsen', 'Novak',
  'Garcia', 'Chen', 'Patel', 'Kim', 'Andersson', 'Murphy', 'Costa', 'Fischer', 'Ivanova', 'Jensen', 'Kaur', 'Lopez',
  'Moreau', 'Nielsen', 'Ortiz', 'Petrov', 'Quinn', 'Reyes', 'Sato', 'Torres', 'Usman', 'Vogel', 'Walsh', 'Yilmaz', 'Zhang',
] as const;

export const CONTACT_TITLES = [
  'Chief Operating Officer', 'VP Operations', 'Head of IT', 'Director of Analytics', 'Procurement Manager', 'CFO',
  'Head of Customer Experience', 'Product Owner', 'IT Administrator', 'VP Sales', 'Data Engineer', 'Program Manager',
] as const;

export const CONTACT_ROLES = ['Champion', 'Decision maker', 'Executive sponsor', 'User', 'Admin', 'Billing'] as const;

export const RELATIONSHIP_UNITS = [
  ['North America', 'Region'],
  ['EMEA', 'Region'],
  ['APAC', 'Region'],
  ['Payments', 'Product line'],
  ['Analytics', 'Product line'],
  ['Platform', 'Product line'],
  ['Retail banking', 'Business unit'],
  ['Consumer', 'Business unit'],
  ['Enterprise IT', 'Business unit'],
] as const;

export const MEASURES = ['Product usage', 'Support', 'NPS', 'Executive engagement', 'Adoption', 'Billing'] as const;

export const MEASURE_COMMENTS: Record<'Red' | 'Yellow' | 'Green', readonly string[]> = {
  Red: ['Sharp drop this month', 'Escalation open', 'Sponsor left the company', 'Overdue invoices'],
  Yellow: ['Flat for two months', 'Some open tickets', 'Mixed survey answers'],
  Green: ['Growing week over week', 'Very few tickets', 'Promoters in the last survey'],
};

export const CTA_NAMES: Record<'Risk' | 'Expansion' | 'Renewal' | 'Lifecycle' | 'Activity', readonly string[]> = {
  Risk: ['Usage dropped 40% in 30 days', 'Executive sponsor left', 'Escalated support ticket', 'Low NPS response', 'Invoice overdue 60 days'],
  Expansion: ['Add analytics module', 'Upsell premium support', 'Roll out to a second region', 'More seats for the sales team'],
  Renewal: ['Renewal in 120 days', 'Prepare renewal proposal', 'Negotiate multi-year renewal'],
  Lifecycle: ['Kick-off onboarding', 'Adoption review after 90 days', 'Quarterly business review'],
  Activity: ['Follow up on training', 'Send release notes', 'Schedule health check'],
};

export const CTA_REASONS: Record<'Risk' | 'Expansion' | 'Renewal' | 'Lifecycle' | 'Activity', readonly string[]> = {
  Risk: ['Health score fell into red', 'Champion unresponsive for 3 weeks', 'Competitor evaluation reported'],
  Expansion: ['Usage at 95% of licensed seats', 'Asked about the API add-on'],
  Renewal: ['Contract ends within the renewal window'],
  Lifecycle: ['Lifecycle milestone reached'],
  Activity: ['Promised in the last call'],
};

export const TASK_TITLES = [
  'Call the sponsor', 'Review usage dashboard', 'Send recap email', 'Book a workshop', 'Check open tickets with support',
  'Draft proposal', 'Align with the account executive', 'Share best-practice guide',
] as const;

export const PLAN_NAMES = ['Onboarding plan', 'Adoption plan', 'Renewal readiness', 'Expansion plan', 'Executive alignment'] as const;

export const OBJECTIVES = [
  'Reach 80% weekly active users', 'Train all admins', 'Integrate with the CRM', 'Quarterly business review held',
  'Executive sponsor named', 'Reduce open tickets below 5', 'Roll out to all regions',
] as const;

export const ACTIVITY_SUBJECTS: Record<'Call' | 'Meeting' | 'Email' | 'Update' | 'Milestone', readonly string[]> = {
  Call: ['Check-in call', 'Call about open ticket', 'Renewal call', 'Intro call with new admin'],
  Meeting: ['Quarterly business review', 'Onboarding workshop', 'Roadmap session', 'Executive briefing'],
  Email: ['Sent release notes', 'Shared training material', 'Follow-up after meeting', 'Invoice question answered'],
  Update: ['Usage trending up', 'Sponsor change noted', 'Support escalation closed', 'Internal note on account'],
  Milestone: ['Go-live', 'First 100 users', 'Integration completed', 'Contract signed'],
};

export const ACTIVITY_NOTES = [
  'Discussed adoption and next steps.',
  'Customer is happy with the latest release; asked about SSO.',
  'Raised concerns about response times; agreed to a follow-up.',
  'Walked through the dashboard with the team.',
  null,
  null,
] as const;
