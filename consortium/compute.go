package consortium

import (
	"bytes"
	"fmt"
	"maps"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// ComputeUpdate computes the config update that turns original into
// updated, as Fabric's configtxlator compute_update does: the read set
// names, at their current versions, the elements the update depends on;
// the write set carries every changed element at its next version, and a
// group whose members change at its next version with all its members.
// The orderer applies it only while the read set's versions still hold,
// and checks each changed element's mod_policy against the signatures.
func ComputeUpdate(channel string, original, updated *common.Config) (*common.ConfigUpdate, error) {
	if original.GetChannelGroup() == nil || updated.GetChannelGroup() == nil {
		return nil, fmt.Errorf("%w: configuration without a channel group", ErrInvalid)
	}
	rs, ws, changed := groupUpdate(original.ChannelGroup, updated.ChannelGroup)
	if !changed {
		return nil, fmt.Errorf("%w: the update changes nothing", ErrInvalid)
	}
	return &common.ConfigUpdate{ChannelId: channel, ReadSet: rs, WriteSet: ws}, nil
}

func groupUpdate(orig, upd *common.ConfigGroup) (rs, ws *common.ConfigGroup, changed bool) {
	rsP, wsP, sameP, membersP := policiesUpdate(orig.Policies, upd.Policies)
	rsV, wsV, sameV, membersV := valuesUpdate(orig.Values, upd.Values)
	rsG, wsG, sameG, membersG := groupsUpdate(orig.Groups, upd.Groups)

	if !membersP && !membersV && !membersG && orig.ModPolicy == upd.ModPolicy {
		// The group's own membership is unchanged: only what changed
		// inside it is written, and the group stays at its version.
		if len(rsP)+len(wsP)+len(rsV)+len(wsV)+len(rsG)+len(wsG) == 0 {
			return &common.ConfigGroup{Version: orig.Version}, &common.ConfigGroup{Version: orig.Version}, false
		}
		return &common.ConfigGroup{Version: orig.Version, Policies: rsP, Values: rsV, Groups: rsG},
			&common.ConfigGroup{Version: orig.Version, Policies: wsP, Values: wsV, Groups: wsG}, true
	}
	// Members were added or removed (or the mod policy changed): the new
	// version of the group lists all its members.
	for k, p := range sameP {
		rsP[k], wsP[k] = p, p
	}
	for k, v := range sameV {
		rsV[k], wsV[k] = v, v
	}
	for k, g := range sameG {
		rsG[k], wsG[k] = g, g
	}
	return &common.ConfigGroup{Version: orig.Version, Policies: rsP, Values: rsV, Groups: rsG},
		&common.ConfigGroup{Version: orig.Version + 1, ModPolicy: upd.ModPolicy, Policies: wsP, Values: wsV, Groups: wsG}, true
}

func policiesUpdate(orig, upd map[string]*common.ConfigPolicy) (rs, ws, same map[string]*common.ConfigPolicy, members bool) {
	rs, ws, same = map[string]*common.ConfigPolicy{}, map[string]*common.ConfigPolicy{}, map[string]*common.ConfigPolicy{}
	for name, o := range orig {
		u, ok := upd[name]
		if !ok {
			members = true
			continue
		}
		if o.ModPolicy == u.ModPolicy && proto.Equal(o.Policy, u.Policy) {
			same[name] = &common.ConfigPolicy{Version: o.Version}
			continue
		}
		ws[name] = &common.ConfigPolicy{Version: o.Version + 1, ModPolicy: u.ModPolicy, Policy: u.Policy}
	}
	for name, u := range upd {
		if _, ok := orig[name]; !ok {
			members = true
			ws[name] = &common.ConfigPolicy{ModPolicy: u.ModPolicy, Policy: u.Policy}
		}
	}
	return rs, ws, same, members
}

func valuesUpdate(orig, upd map[string]*common.ConfigValue) (rs, ws, same map[string]*common.ConfigValue, members bool) {
	rs, ws, same = map[string]*common.ConfigValue{}, map[string]*common.ConfigValue{}, map[string]*common.ConfigValue{}
	for name, o := range orig {
		u, ok := upd[name]
		if !ok {
			members = true
			continue
		}
		if o.ModPolicy == u.ModPolicy && bytes.Equal(o.Value, u.Value) {
			same[name] = &common.ConfigValue{Version: o.Version}
			continue
		}
		ws[name] = &common.ConfigValue{Version: o.Version + 1, ModPolicy: u.ModPolicy, Value: u.Value}
	}
	for name, u := range upd {
		if _, ok := orig[name]; !ok {
			members = true
			ws[name] = &common.ConfigValue{ModPolicy: u.ModPolicy, Value: u.Value}
		}
	}
	return rs, ws, same, members
}

func groupsUpdate(orig, upd map[string]*common.ConfigGroup) (rs, ws, same map[string]*common.ConfigGroup, members bool) {
	rs, ws, same = map[string]*common.ConfigGroup{}, map[string]*common.ConfigGroup{}, map[string]*common.ConfigGroup{}
	for name, o := range orig {
		u, ok := upd[name]
		if !ok {
			members = true
			continue
		}
		grs, gws, changed := groupUpdate(o, u)
		if !changed {
			same[name] = grs
			continue
		}
		rs[name], ws[name] = grs, gws
	}
	for name, u := range upd {
		if _, ok := orig[name]; ok {
			continue
		}
		members = true
		_, gws, _ := groupUpdate(&common.ConfigGroup{}, u)
		ws[name] = &common.ConfigGroup{ModPolicy: u.ModPolicy, Policies: gws.Policies, Values: gws.Values, Groups: gws.Groups}
	}
	return rs, ws, same, members
}

// ApplyUpdate returns the configuration cu makes of cfg (with the
// sequence raised by one), as the orderer computes it: a group written at
// its next version holds exactly the members the write set lists, those
// written at their current version unchanged; a group written at its
// current version changes only the members the write set changes.
func ApplyUpdate(cfg *common.Config, cu *common.ConfigUpdate) (*common.Config, error) {
	out := proto.Clone(cfg).(*common.Config)
	g, err := applyGroup("/Channel", out.ChannelGroup, cu.GetWriteSet())
	if err != nil {
		return nil, err
	}
	out.ChannelGroup = g
	out.Sequence++
	return out, nil
}

func applyGroup(path string, cur, ws *common.ConfigGroup) (*common.ConfigGroup, error) {
	if cur == nil {
		if ws.Version != 0 {
			return nil, fmt.Errorf("%w: %s is new but written at version %d", ErrInvalid, path, ws.Version)
		}
		return proto.Clone(ws).(*common.ConfigGroup), nil
	}
	out := &common.ConfigGroup{Version: cur.Version, ModPolicy: cur.ModPolicy,
		Groups: map[string]*common.ConfigGroup{}, Values: map[string]*common.ConfigValue{}, Policies: map[string]*common.ConfigPolicy{}}
	whole := ws.Version == cur.Version+1
	if whole {
		out.Version, out.ModPolicy = ws.Version, ws.ModPolicy
	} else if ws.Version != cur.Version {
		return nil, fmt.Errorf("%w: %s written at version %d, is at %d", ErrInvalid, path, ws.Version, cur.Version)
	}
	if !whole {
		maps.Copy(out.Groups, cur.Groups)
		maps.Copy(out.Values, cur.Values)
		maps.Copy(out.Policies, cur.Policies)
	}
	for k, v := range ws.Values {
		if c := cur.Values[k]; c != nil && v.Version == c.Version {
			out.Values[k] = c
		} else {
			out.Values[k] = v
		}
	}
	for k, p := range ws.Policies {
		if c := cur.Policies[k]; c != nil && p.Version == c.Version {
			out.Policies[k] = c
		} else {
			out.Policies[k] = p
		}
	}
	for k, g := range ws.Groups {
		ng, err := applyGroup(path+"/"+k, cur.Groups[k], g)
		if err != nil {
			return nil, err
		}
		out.Groups[k] = ng
	}
	return out, nil
}
