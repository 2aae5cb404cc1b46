"""EC2: the instances behind container instances, their types, ENIs, subnets, VPCs, security
groups, route tables and VPC endpoints. Pages of 1000; instance types asked for only those in use,
100 a call (the API's limit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditor.collect.ecs import chunks
from auditor.errors import ApiFailure, ExpectedError
from auditor.model import (
    Ec2Instance,
    InstanceTypeInfo,
    NetworkInterface,
    Route,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Vpc,
    VpcEndpoint,
)

if TYPE_CHECKING:
    from auditor.collect.session import Recorder

PAGE_SIZE = 1000  # the describe APIs' maximum page
INSTANCE_BATCH = 1000  # instance ids per DescribeInstances call
INSTANCE_TYPE_BATCH = 100  # types per DescribeInstanceTypes call (its maximum)
_ROUTE_TARGETS = (
    ("GatewayId", "gateway"),
    ("NatGatewayId", "nat-gateway"),
    ("TransitGatewayId", "transit-gateway"),
    ("EgressOnlyInternetGatewayId", "egress-only-gateway"),
    ("VpcPeeringConnectionId", "vpc-peering"),
    ("InstanceId", "instance"),
    ("NetworkInterfaceId", "network-interface"),
    ("LocalGatewayId", "local-gateway"),
    ("CarrierGatewayId", "carrier-gateway"),
    ("CoreNetworkArn", "core-network"),
)


# ---------------------------------------------------------------- parsing (pure)


def parse_instance(raw: dict[str, Any], account: str, region: str) -> Ec2Instance:
    primary = next(
        (n for n in raw.get("NetworkInterfaces", []) if n.get("Attachment", {}).get("DeviceIndex") == 0), None
    )
    return Ec2Instance(
        instance_id=raw["InstanceId"],
        account=account,
        region=region,
        instance_type=raw.get("InstanceType", ""),
        state=raw.get("State", {}).get("Name", ""),
        subnet_id=raw.get("SubnetId"),
        vpc_id=raw.get("VpcId"),
        instance_profile_arn=(raw.get("IamInstanceProfile") or {}).get("Arn"),
        primary_eni_id=primary.get("NetworkInterfaceId") if primary else None,
        security_group_ids=tuple(g["GroupId"] for g in raw.get("SecurityGroups", [])),
        launch_time=str(
            raw["LaunchTime"].isoformat()
            if hasattr(raw.get("LaunchTime"), "isoformat")
            else raw.get("LaunchTime")
        )
        if raw.get("LaunchTime")
        else None,
        auto_scaling_group=next(
            (t.get("Value") for t in raw.get("Tags", []) if t.get("Key") == "aws:autoscaling:groupName"), None
        ),
    )


def parse_instance_type(raw: dict[str, Any], region: str) -> InstanceTypeInfo:
    network = raw.get("NetworkInfo", {})
    return InstanceTypeInfo(
        instance_type=raw["InstanceType"],
        region=region,
        max_enis=int(network.get("MaximumNetworkInterfaces", 0)),
        ipv4_per_eni=network.get("Ipv4AddressesPerInterface"),
    )


def parse_network_interface(raw: dict[str, Any], account: str, region: str) -> NetworkInterface:
    attachment = raw.get("Attachment") or {}
    return NetworkInterface(
        eni_id=raw["NetworkInterfaceId"],
        account=account,
        region=region,
        subnet_id=raw.get("SubnetId"),
        vpc_id=raw.get("VpcId"),
        availability_zone=raw.get("AvailabilityZone"),
        interface_type=raw.get("InterfaceType", "interface"),
        status=raw.get("Status", ""),
        description=raw.get("Description", "") or "",
        requester_managed=bool(raw.get("RequesterManaged", False)),
        requester_id=raw.get("RequesterId"),
        private_ips=tuple(
            a["PrivateIpAddress"] for a in raw.get("PrivateIpAddresses", []) if a.get("PrivateIpAddress")
        )
        or ((raw["PrivateIpAddress"],) if raw.get("PrivateIpAddress") else ()),
        ipv6_count=len(raw.get("Ipv6Addresses", [])),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups", [])),
        attached_instance_id=attachment.get("InstanceId"),
        device_index=attachment.get("DeviceIndex"),
        public_ip=(raw.get("Association") or {}).get("PublicIp"),
    )


def parse_subnet(raw: dict[str, Any], account: str, region: str) -> Subnet:
    return Subnet(
        subnet_id=raw["SubnetId"],
        account=account,
        region=region,
        vpc_id=raw.get("VpcId", ""),
        availability_zone=raw.get("AvailabilityZone", ""),
        cidr=raw.get("CidrBlock") or None,
        available_ips=int(raw.get("AvailableIpAddressCount", 0)),
        ipv6_cidrs=tuple(
            a["Ipv6CidrBlock"] for a in raw.get("Ipv6CidrBlockAssociationSet", []) if a.get("Ipv6CidrBlock")
        ),
        map_public_ip_on_launch=bool(raw.get("MapPublicIpOnLaunch", False)),
        ipv6_native=bool(raw.get("Ipv6Native", False)),
        enable_dns64=bool(raw.get("EnableDns64", False)),
    )


def parse_vpc(raw: dict[str, Any], account: str, region: str) -> Vpc:
    cidrs = [
        a["CidrBlock"]
        for a in raw.get("CidrBlockAssociationSet", [])
        if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
    ]
    if not cidrs and raw.get("CidrBlock"):
        cidrs = [raw["CidrBlock"]]
    return Vpc(
        vpc_id=raw["VpcId"],
        account=account,
        region=region,
        cidrs=tuple(cidrs),
        ipv6_cidrs=tuple(
            a["Ipv6CidrBlock"] for a in raw.get("Ipv6CidrBlockAssociationSet", []) if a.get("Ipv6CidrBlock")
        ),
    )


def parse_rules(permissions: list[dict[str, Any]]) -> tuple[SecurityGroupRule, ...]:
    """One rule per source: AWS packs several CIDRs, groups and prefix lists into one entry."""
    rules: list[SecurityGroupRule] = []
    for p in permissions:
        base: dict[str, Any] = {
            "protocol": str(p.get("IpProtocol", "-1")),
            "from_port": p.get("FromPort"),
            "to_port": p.get("ToPort"),
        }
        for r in p.get("IpRanges", []):
            rules.append(
                SecurityGroupRule(**base, cidr=r.get("CidrIp"), description=r.get("Description", ""))
            )
        for r in p.get("Ipv6Ranges", []):
            rules.append(
                SecurityGroupRule(**base, cidr=r.get("CidrIpv6"), description=r.get("Description", ""))
            )
        for r in p.get("UserIdGroupPairs", []):
            rules.append(
                SecurityGroupRule(
                    **base,
                    group_id=r.get("GroupId"),
                    group_owner=r.get("UserId"),
                    description=r.get("Description", ""),
                )
            )
        for r in p.get("PrefixListIds", []):
            rules.append(
                SecurityGroupRule(
                    **base, prefix_list_id=r.get("PrefixListId"), description=r.get("Description", "")
                )
            )
    return tuple(rules)


def parse_security_group(raw: dict[str, Any], account: str, region: str) -> SecurityGroup:
    return SecurityGroup(
        group_id=raw["GroupId"],
        account=account,
        region=region,
        name=raw.get("GroupName", ""),
        vpc_id=raw.get("VpcId"),
        ingress=parse_rules(raw.get("IpPermissions", [])),
        egress=parse_rules(raw.get("IpPermissionsEgress", [])),
    )


def parse_route_table(raw: dict[str, Any], account: str, region: str) -> RouteTable:
    routes = []
    for r in raw.get("Routes", []):
        destination = (
            r.get("DestinationCidrBlock")
            or r.get("DestinationIpv6CidrBlock")
            or r.get("DestinationPrefixListId")
            or ""
        )
        target_type, target_id = "unknown", ""
        for key, kind in _ROUTE_TARGETS:
            if r.get(key):
                target_type, target_id = kind, r[key]
                break
        if target_type == "gateway" and target_id == "local":
            target_type = "local"
        routes.append(
            Route(
                destination=destination,
                target_type=target_type,
                target_id=target_id,
                state=r.get("State", "active"),
            )
        )
    associations = raw.get("Associations", [])
    return RouteTable(
        route_table_id=raw["RouteTableId"],
        account=account,
        region=region,
        vpc_id=raw.get("VpcId", ""),
        main=any(a.get("Main") for a in associations),
        subnet_ids=tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
        routes=tuple(routes),
    )


def parse_vpc_endpoint(raw: dict[str, Any], account: str, region: str) -> VpcEndpoint:
    return VpcEndpoint(
        endpoint_id=raw["VpcEndpointId"],
        account=account,
        region=region,
        vpc_id=raw.get("VpcId", ""),
        service_name=raw.get("ServiceName", ""),
        endpoint_type=raw.get("VpcEndpointType", ""),
        state=raw.get("State", ""),
        route_table_ids=tuple(raw.get("RouteTableIds", [])),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups", [])),
        private_dns_enabled=raw.get("PrivateDnsEnabled"),
    )


# ---------------------------------------------------------------- collection


# EC2 rejects a whole DescribeInstances request for one id it cannot use; the message names it.
MISSING_INSTANCE_CODES = ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")
_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def ids_in_message(message: str) -> set[str]:
    """The ids EC2 names in a NotFound/Malformed message (`'i-1, i-2'` or `"mi-…"`)."""
    found: set[str] = set()
    for single, double in _QUOTED.findall(message):
        found |= {part.strip() for part in (single or double).split(",") if part.strip()}
    return found


def is_ec2_instance_id(instance_id: str) -> bool:
    """EC2 ids (`i-…`); ECS Anywhere instances carry SSM managed-instance ids (`mi-…`)."""
    return instance_id.startswith("i-")


def collect_instances(rec: Recorder, instance_ids: Iterable[str]) -> list[Ec2Instance]:
    """The EC2 instances behind container instances. Only `i-` ids are asked for; an id EC2 no
    longer knows (a terminated instance still registered) is dropped from the request and named
    in the coverage row's detail, so the other instances of the region keep their data."""
    wanted = sorted({i for i in instance_ids if is_ec2_instance_id(i)})
    external = sorted(set(instance_ids) - set(wanted))
    api = "ec2:DescribeInstances"
    if external:
        rec.note(api, f"not asked (ECS Anywhere, not EC2): {', '.join(external)}")
    result: list[Ec2Instance] = []
    missing: list[str] = []
    for batch in chunks(wanted, INSTANCE_BATCH):
        while batch:
            try:
                response = rec.call_expecting(
                    MISSING_INSTANCE_CODES, "ec2", "describe_instances", InstanceIds=batch
                )
            except ExpectedError as exc:
                named = ids_in_message(exc.message) & set(batch)
                if not named:  # nothing to drop: a failure like any other
                    raise rec.failure(api, exc.cause) from exc
                missing += sorted(named)
                batch = [i for i in batch if i not in named]
                continue
            for reservation in response.get("Reservations", []):
                result.extend(
                    parse_instance(i, rec.account, rec.region) for i in reservation.get("Instances", [])
                )
            break
    if missing:
        rec.note(api, f"not found (terminated?): {', '.join(missing)}")
    return result


def collect_instance_types(rec: Recorder, types: Iterable[str]) -> list[InstanceTypeInfo]:
    result: list[InstanceTypeInfo] = []
    for batch in chunks(sorted(set(types)), INSTANCE_TYPE_BATCH):
        response = rec.call("ec2", "describe_instance_types", InstanceTypes=batch)
        result.extend(parse_instance_type(t, rec.region) for t in response.get("InstanceTypes", []))
    return result


def _all(rec: Recorder, operation: str, key: str, parse: Any, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in rec.pages("ec2", operation, PaginationConfig={"PageSize": PAGE_SIZE}, **kwargs):
        items.extend(parse(raw, rec.account, rec.region) for raw in page.get(key, []))
    return items


def collect_network_interfaces(rec: Recorder) -> list[NetworkInterface]:
    """Every ENI in the region, AWS-managed ones included (they count against the quota)."""
    return _all(
        rec,
        "describe_network_interfaces",
        "NetworkInterfaces",
        parse_network_interface,
        IncludeManagedResources=True,
    )


def collect_subnets(rec: Recorder) -> list[Subnet]:
    return _all(rec, "describe_subnets", "Subnets", parse_subnet)


def collect_vpcs(rec: Recorder) -> list[Vpc]:
    return _all(rec, "describe_vpcs", "Vpcs", parse_vpc)


def collect_security_groups(rec: Recorder) -> list[SecurityGroup]:
    return _all(rec, "describe_security_groups", "SecurityGroups", parse_security_group)


def collect_route_tables(rec: Recorder) -> list[RouteTable]:
    return _all(rec, "describe_route_tables", "RouteTables", parse_route_table)


def collect_vpc_endpoints(rec: Recorder) -> list[VpcEndpoint]:
    return _all(rec, "describe_vpc_endpoints", "VpcEndpoints", parse_vpc_endpoint)


DNS_ATTRIBUTES = (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames"))


def collect_vpc_dns_attributes(rec: Recorder, vpc_ids: Iterable[str]) -> dict[str, dict[str, bool]]:
    """`enableDnsSupport` and `enableDnsHostnames` of each VPC in use: two calls per VPC (the API
    answers one attribute of one VPC). A VPC whose calls fail is left out (its attributes stay
    unknown) and the API's coverage row says why."""
    wanted = sorted(set(vpc_ids))
    pairs = [(vpc_id, attribute) for vpc_id in wanted for attribute in DNS_ATTRIBUTES]

    def ask(pair: tuple[str, tuple[str, str]]) -> tuple[str, str, bool] | None:
        vpc_id, (attribute, key) = pair
        try:
            response = rec.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attribute)
        except ApiFailure:
            return None
        return vpc_id, attribute, bool((response.get(key) or {}).get("Value", False))

    result: dict[str, dict[str, bool]] = {}
    answers = rec.fan_out(ask, pairs)
    for answer in answers:
        if answer is not None:
            result.setdefault(answer[0], {})[answer[1]] = answer[2]
    return result
