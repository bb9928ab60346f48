/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment Person on User {\n    id\n    name\n  }\n": typeof types.PersonFragmentDoc,
    "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n  }\n": typeof types.UserErrorFieldsFragmentDoc,
    "\n  fragment PairState on Pair {\n    id\n    status\n    progress\n    checkInCount\n    lastCheckInAt\n    nextCheckInDue\n  }\n": typeof types.PairStateFragmentDoc,
    "\n  fragment PairSummary on Pair {\n    ...PairState\n    program { id title }\n    mentor { ...Person }\n    mentee { ...Person }\n    completedAt\n    endedAt\n    endedBy { ...Person }\n    endReason\n  }\n": typeof types.PairSummaryFragmentDoc,
    "\n  fragment MilestoneItem on Milestone {\n    id\n    position\n    kind\n    title\n    description\n    suggestedWeek\n    completedAt\n    completedBy { ...Person }\n  }\n": typeof types.MilestoneItemFragmentDoc,
    "\n  fragment CheckInItem on CheckIn {\n    id\n    body\n    createdAt\n    author { ...Person }\n  }\n": typeof types.CheckInItemFragmentDoc,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { revokedCount }\n  }\n": typeof types.LogoutDocument,
    "\n  query MyPairs {\n    viewer {\n      id\n      name\n      pairs(first: 50) {\n        edges { node { ...PairSummary } }\n      }\n    }\n  }\n": typeof types.MyPairsDocument,
    "\n  query Pair($id: ID!) {\n    viewer { ...Person }\n    pair(id: $id) {\n      ...PairSummary\n      milestones { ...MilestoneItem }\n      checkIns(first: 50) {\n        totalCount\n        edges { node { ...CheckInItem } }\n      }\n    }\n  }\n": typeof types.PairDocument,
    "\n  subscription PairEvents($pairId: ID!) {\n    pairEvents(pairId: $pairId) {\n      __typename\n      sequence\n      pair { ...PairState }\n      ... on MilestoneCompletedEvent {\n        milestone { ...MilestoneItem }\n      }\n      ... on CheckInPostedEvent {\n        checkIn { ...CheckInItem }\n      }\n    }\n  }\n": typeof types.PairEventsDocument,
    "\n  mutation CompleteMilestone($input: CompleteMilestoneInput!) {\n    completeMilestone(input: $input) {\n      milestone { ...MilestoneItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CompleteMilestoneDocument,
    "\n  mutation PostCheckIn($input: PostCheckInInput!) {\n    postCheckIn(input: $input) {\n      checkIn { ...CheckInItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.PostCheckInDocument,
    "\n  subscription ViewerNotifications {\n    viewerNotifications { id kind message pair { id } }\n  }\n": typeof types.ViewerNotificationsDocument,
    "\n  fragment GroupSummary on Group {\n    id\n    name\n    description\n    memberCount\n    viewerRole\n    programs(status: OPEN, first: 10) { edges { node { id title } } }\n  }\n": typeof types.GroupSummaryFragmentDoc,
    "\n  fragment QuestionField on SignUpQuestion {\n    id\n    prompt\n    kind\n    options\n    required\n    appliesTo\n  }\n": typeof types.QuestionFieldFragmentDoc,
    "\n  fragment MySignUp on SignUp {\n    id\n    role\n    status\n    program { id title }\n  }\n": typeof types.MySignUpFragmentDoc,
    "\n  query FindGroups($search: String) {\n    groups(search: $search, first: 20) {\n      edges { node { ...GroupSummary } }\n    }\n  }\n": typeof types.FindGroupsDocument,
    "\n  mutation JoinGroup($input: JoinGroupInput!) {\n    joinGroup(input: $input) {\n      group { id }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.JoinGroupDocument,
    "\n  query ProgramForm($id: ID!) {\n    program(id: $id) {\n      id\n      title\n      description\n      status\n      questions { ...QuestionField }\n    }\n    viewer {\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n": typeof types.ProgramFormDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  query MySignUps {\n    viewer {\n      id\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n": typeof types.MySignUpsDocument,
    "\n  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {\n    withdrawSignUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.WithdrawSignUpDocument,
};
const documents: Documents = {
    "\n  fragment Person on User {\n    id\n    name\n  }\n": types.PersonFragmentDoc,
    "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n  }\n": types.UserErrorFieldsFragmentDoc,
    "\n  fragment PairState on Pair {\n    id\n    status\n    progress\n    checkInCount\n    lastCheckInAt\n    nextCheckInDue\n  }\n": types.PairStateFragmentDoc,
    "\n  fragment PairSummary on Pair {\n    ...PairState\n    program { id title }\n    mentor { ...Person }\n    mentee { ...Person }\n    completedAt\n    endedAt\n    endedBy { ...Person }\n    endReason\n  }\n": types.PairSummaryFragmentDoc,
    "\n  fragment MilestoneItem on Milestone {\n    id\n    position\n    kind\n    title\n    description\n    suggestedWeek\n    completedAt\n    completedBy { ...Person }\n  }\n": types.MilestoneItemFragmentDoc,
    "\n  fragment CheckInItem on CheckIn {\n    id\n    body\n    createdAt\n    author { ...Person }\n  }\n": types.CheckInItemFragmentDoc,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { revokedCount }\n  }\n": types.LogoutDocument,
    "\n  query MyPairs {\n    viewer {\n      id\n      name\n      pairs(first: 50) {\n        edges { node { ...PairSummary } }\n      }\n    }\n  }\n": types.MyPairsDocument,
    "\n  query Pair($id: ID!) {\n    viewer { ...Person }\n    pair(id: $id) {\n      ...PairSummary\n      milestones { ...MilestoneItem }\n      checkIns(first: 50) {\n        totalCount\n        edges { node { ...CheckInItem } }\n      }\n    }\n  }\n": types.PairDocument,
    "\n  subscription PairEvents($pairId: ID!) {\n    pairEvents(pairId: $pairId) {\n      __typename\n      sequence\n      pair { ...PairState }\n      ... on MilestoneCompletedEvent {\n        milestone { ...MilestoneItem }\n      }\n      ... on CheckInPostedEvent {\n        checkIn { ...CheckInItem }\n      }\n    }\n  }\n": types.PairEventsDocument,
    "\n  mutation CompleteMilestone($input: CompleteMilestoneInput!) {\n    completeMilestone(input: $input) {\n      milestone { ...MilestoneItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CompleteMilestoneDocument,
    "\n  mutation PostCheckIn($input: PostCheckInInput!) {\n    postCheckIn(input: $input) {\n      checkIn { ...CheckInItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.PostCheckInDocument,
    "\n  subscription ViewerNotifications {\n    viewerNotifications { id kind message pair { id } }\n  }\n": types.ViewerNotificationsDocument,
    "\n  fragment GroupSummary on Group {\n    id\n    name\n    description\n    memberCount\n    viewerRole\n    programs(status: OPEN, first: 10) { edges { node { id title } } }\n  }\n": types.GroupSummaryFragmentDoc,
    "\n  fragment QuestionField on SignUpQuestion {\n    id\n    prompt\n    kind\n    options\n    required\n    appliesTo\n  }\n": types.QuestionFieldFragmentDoc,
    "\n  fragment MySignUp on SignUp {\n    id\n    role\n    status\n    program { id title }\n  }\n": types.MySignUpFragmentDoc,
    "\n  query FindGroups($search: String) {\n    groups(search: $search, first: 20) {\n      edges { node { ...GroupSummary } }\n    }\n  }\n": types.FindGroupsDocument,
    "\n  mutation JoinGroup($input: JoinGroupInput!) {\n    joinGroup(input: $input) {\n      group { id }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.JoinGroupDocument,
    "\n  query ProgramForm($id: ID!) {\n    program(id: $id) {\n      id\n      title\n      description\n      status\n      questions { ...QuestionField }\n    }\n    viewer {\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n": types.ProgramFormDocument,
    "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.SignUpDocument,
    "\n  query MySignUps {\n    viewer {\n      id\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n": types.MySignUpsDocument,
    "\n  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {\n    withdrawSignUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.WithdrawSignUpDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment Person on User {\n    id\n    name\n  }\n"): (typeof documents)["\n  fragment Person on User {\n    id\n    name\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n  }\n"): (typeof documents)["\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PairState on Pair {\n    id\n    status\n    progress\n    checkInCount\n    lastCheckInAt\n    nextCheckInDue\n  }\n"): (typeof documents)["\n  fragment PairState on Pair {\n    id\n    status\n    progress\n    checkInCount\n    lastCheckInAt\n    nextCheckInDue\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PairSummary on Pair {\n    ...PairState\n    program { id title }\n    mentor { ...Person }\n    mentee { ...Person }\n    completedAt\n    endedAt\n    endedBy { ...Person }\n    endReason\n  }\n"): (typeof documents)["\n  fragment PairSummary on Pair {\n    ...PairState\n    program { id title }\n    mentor { ...Person }\n    mentee { ...Person }\n    completedAt\n    endedAt\n    endedBy { ...Person }\n    endReason\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MilestoneItem on Milestone {\n    id\n    position\n    kind\n    title\n    description\n    suggestedWeek\n    completedAt\n    completedBy { ...Person }\n  }\n"): (typeof documents)["\n  fragment MilestoneItem on Milestone {\n    id\n    position\n    kind\n    title\n    description\n    suggestedWeek\n    completedAt\n    completedBy { ...Person }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CheckInItem on CheckIn {\n    id\n    body\n    createdAt\n    author { ...Person }\n  }\n"): (typeof documents)["\n  fragment CheckInItem on CheckIn {\n    id\n    body\n    createdAt\n    author { ...Person }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      user { ...Person }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { revokedCount }\n  }\n"): (typeof documents)["\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { revokedCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyPairs {\n    viewer {\n      id\n      name\n      pairs(first: 50) {\n        edges { node { ...PairSummary } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyPairs {\n    viewer {\n      id\n      name\n      pairs(first: 50) {\n        edges { node { ...PairSummary } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Pair($id: ID!) {\n    viewer { ...Person }\n    pair(id: $id) {\n      ...PairSummary\n      milestones { ...MilestoneItem }\n      checkIns(first: 50) {\n        totalCount\n        edges { node { ...CheckInItem } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Pair($id: ID!) {\n    viewer { ...Person }\n    pair(id: $id) {\n      ...PairSummary\n      milestones { ...MilestoneItem }\n      checkIns(first: 50) {\n        totalCount\n        edges { node { ...CheckInItem } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PairEvents($pairId: ID!) {\n    pairEvents(pairId: $pairId) {\n      __typename\n      sequence\n      pair { ...PairState }\n      ... on MilestoneCompletedEvent {\n        milestone { ...MilestoneItem }\n      }\n      ... on CheckInPostedEvent {\n        checkIn { ...CheckInItem }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PairEvents($pairId: ID!) {\n    pairEvents(pairId: $pairId) {\n      __typename\n      sequence\n      pair { ...PairState }\n      ... on MilestoneCompletedEvent {\n        milestone { ...MilestoneItem }\n      }\n      ... on CheckInPostedEvent {\n        checkIn { ...CheckInItem }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteMilestone($input: CompleteMilestoneInput!) {\n    completeMilestone(input: $input) {\n      milestone { ...MilestoneItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteMilestone($input: CompleteMilestoneInput!) {\n    completeMilestone(input: $input) {\n      milestone { ...MilestoneItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PostCheckIn($input: PostCheckInInput!) {\n    postCheckIn(input: $input) {\n      checkIn { ...CheckInItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation PostCheckIn($input: PostCheckInInput!) {\n    postCheckIn(input: $input) {\n      checkIn { ...CheckInItem }\n      pair { ...PairState }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ViewerNotifications {\n    viewerNotifications { id kind message pair { id } }\n  }\n"): (typeof documents)["\n  subscription ViewerNotifications {\n    viewerNotifications { id kind message pair { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment GroupSummary on Group {\n    id\n    name\n    description\n    memberCount\n    viewerRole\n    programs(status: OPEN, first: 10) { edges { node { id title } } }\n  }\n"): (typeof documents)["\n  fragment GroupSummary on Group {\n    id\n    name\n    description\n    memberCount\n    viewerRole\n    programs(status: OPEN, first: 10) { edges { node { id title } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment QuestionField on SignUpQuestion {\n    id\n    prompt\n    kind\n    options\n    required\n    appliesTo\n  }\n"): (typeof documents)["\n  fragment QuestionField on SignUpQuestion {\n    id\n    prompt\n    kind\n    options\n    required\n    appliesTo\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MySignUp on SignUp {\n    id\n    role\n    status\n    program { id title }\n  }\n"): (typeof documents)["\n  fragment MySignUp on SignUp {\n    id\n    role\n    status\n    program { id title }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FindGroups($search: String) {\n    groups(search: $search, first: 20) {\n      edges { node { ...GroupSummary } }\n    }\n  }\n"): (typeof documents)["\n  query FindGroups($search: String) {\n    groups(search: $search, first: 20) {\n      edges { node { ...GroupSummary } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation JoinGroup($input: JoinGroupInput!) {\n    joinGroup(input: $input) {\n      group { id }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation JoinGroup($input: JoinGroupInput!) {\n    joinGroup(input: $input) {\n      group { id }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProgramForm($id: ID!) {\n    program(id: $id) {\n      id\n      title\n      description\n      status\n      questions { ...QuestionField }\n    }\n    viewer {\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n"): (typeof documents)["\n  query ProgramForm($id: ID!) {\n    program(id: $id) {\n      id\n      title\n      description\n      status\n      questions { ...QuestionField }\n    }\n    viewer {\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation SignUp($input: SignUpInput!) {\n    signUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MySignUps {\n    viewer {\n      id\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n"): (typeof documents)["\n  query MySignUps {\n    viewer {\n      id\n      signUps(first: 50) { edges { node { ...MySignUp } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {\n    withdrawSignUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {\n    withdrawSignUp(input: $input) {\n      signUp { ...MySignUp }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;