import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** The tenants the caller holds a role on (GET /api/tenants), shared by every page. */
export const TenantsContext = createContext({ tenants: [], byId: {}, reload: () => {} });
export const useTenants = () => useContext(TenantsContext);
export const useRole = (tenantId) => useContext(TenantsContext).byId[tenantId]?.role ?? null;
