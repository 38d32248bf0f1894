// Package orgca gives a consortium member its own identity material: an
// organisation's certificate authority and TLS certificate authority, the
// identities it issues from them (admin, peer, orderer, the member node, its
// users), revocation of those identities, and the public org card it hands to
// the other members.
//
// Everything is generated with the standard library (ECDSA P-256), laid out as
// Fabric's MSP expects, with NodeOUs so that an identity's role (admin, peer,
// orderer, client) comes from its certificate. Fabric CA is not used: a member
// that runs one can still lay its certificates out the same way.
//
// An organisation directory holds private keys and never leaves its owner's
// host. What other members need is the card: MSP id, display name, root and
// TLS root certificates, endpoints, the orderer's public certificates (a BFT
// consenter is named by them) and CRLs. Nothing secret is in it.
//
// Layout of an organisation directory:
//
//	card.json            the public org card
//	issued.json          every identity issued: name, role, serial, revoked
//	ca/, tlsca/          CA certificates and their private keys
//	msp/                 the organisation's MSP as the channel sees it
//	                     (cacerts, tlscacerts, crls, NodeOUs config.yaml)
//	NAME/msp             an identity's local MSP (signcerts, keystore)
//	NAME/tls             its TLS key pair (server.crt, server.key) and the
//	                     TLS CA (ca.crt)
//
// Init issues admin, peer, orderer, node (the member node's client identity)
// and user (an ordinary client); Enroll issues more.
package orgca
