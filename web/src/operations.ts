// The operations the app runs. Their result and variable types are generated from
// ../schema.graphql by GraphQL Code Generator into src/gql/ (`npm run codegen`, see
// codegen.ts): edit a document here, regenerate, and the compiler checks every use.
import type { ResultOf } from "@graphql-typed-document-node/core";

import { graphql } from "./gql";
import type {
  CheckInItemFragment,
  GroupSummaryFragment,
  MilestoneItemFragment,
  MySignUpFragment,
  PairStateFragment,
  PairSummaryFragment,
  QuestionFieldFragment,
  UserErrorFieldsFragment,
} from "./gql/graphql";

export type { MentorshipRole } from "./gql/graphql";

// --- the shapes components take (fragments, so each is written once) ------------------

export const PersonFields = graphql(`
  fragment Person on User {
    id
    name
  }
`);

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    code
    field
    message
  }
`);
/** `code` is the schema's `UserErrorCode`, so a misspelt code does not compile. */
export type UserError = UserErrorFieldsFragment;

/** The pair fields that change over time; every event carries them. */
export const PairStateFields = graphql(`
  fragment PairState on Pair {
    id
    status
    progress
    checkInCount
    lastCheckInAt
    nextCheckInDue
  }
`);
export type PairState = PairStateFragment;

export const PairSummaryFields = graphql(`
  fragment PairSummary on Pair {
    ...PairState
    program { id title }
    mentor { ...Person }
    mentee { ...Person }
    completedAt
    endedAt
    endedBy { ...Person }
    endReason
  }
`);
export type PairSummary = PairSummaryFragment;

export const MilestoneItemFields = graphql(`
  fragment MilestoneItem on Milestone {
    id
    position
    kind
    title
    description
    suggestedWeek
    completedAt
    completedBy { ...Person }
  }
`);
export type Milestone = MilestoneItemFragment;

export const CheckInItemFields = graphql(`
  fragment CheckInItem on CheckIn {
    id
    body
    createdAt
    author { ...Person }
  }
`);
export type CheckIn = CheckInItemFragment;

// --- signing in ---------------------------------------------------------------------------

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      user { ...Person }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      user { ...Person }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout($input: LogoutInput!) {
    logout(input: $input) { revokedCount }
  }
`);

// --- pairs --------------------------------------------------------------------------------

export const MyPairsQuery = graphql(`
  query MyPairs {
    viewer {
      id
      name
      pairs(first: 50) {
        edges { node { ...PairSummary } }
      }
    }
  }
`);

export const PairQuery = graphql(`
  query Pair($id: ID!) {
    viewer { ...Person }
    pair(id: $id) {
      ...PairSummary
      milestones { ...MilestoneItem }
      checkIns(first: 50) {
        totalCount
        edges { node { ...CheckInItem } }
      }
    }
  }
`);
export type PairDetail = NonNullable<ResultOf<typeof PairQuery>["pair"]>;

// `pairEvents` with no cursor replays the pair's history, then goes on live: merging is
// idempotent, so a reconnect (which replays again) never loses or doubles anything.
export const PairEventsSubscription = graphql(`
  subscription PairEvents($pairId: ID!) {
    pairEvents(pairId: $pairId) {
      __typename
      sequence
      pair { ...PairState }
      ... on MilestoneCompletedEvent {
        milestone { ...MilestoneItem }
      }
      ... on CheckInPostedEvent {
        checkIn { ...CheckInItem }
      }
    }
  }
`);
export type PairEvent = ResultOf<typeof PairEventsSubscription>["pairEvents"];

export const CompleteMilestoneMutation = graphql(`
  mutation CompleteMilestone($input: CompleteMilestoneInput!) {
    completeMilestone(input: $input) {
      milestone { ...MilestoneItem }
      pair { ...PairState }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const PostCheckInMutation = graphql(`
  mutation PostCheckIn($input: PostCheckInInput!) {
    postCheckIn(input: $input) {
      checkIn { ...CheckInItem }
      pair { ...PairState }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const ViewerNotificationsSubscription = graphql(`
  subscription ViewerNotifications {
    viewerNotifications { id kind message pair { id } }
  }
`);

// --- joining a group and signing up for its program ------------------------------------

export const GroupSummaryFields = graphql(`
  fragment GroupSummary on Group {
    id
    name
    description
    memberCount
    viewerRole
    programs(status: OPEN, first: 10) { edges { node { id title } } }
  }
`);
export type GroupSummary = GroupSummaryFragment;

export const QuestionFields = graphql(`
  fragment QuestionField on SignUpQuestion {
    id
    prompt
    kind
    options
    required
    appliesTo
  }
`);
export type SignUpQuestion = QuestionFieldFragment;

export const MySignUpFields = graphql(`
  fragment MySignUp on SignUp {
    id
    role
    status
    program { id title }
  }
`);
export type MySignUp = MySignUpFragment;

export const FindGroupsQuery = graphql(`
  query FindGroups($search: String) {
    groups(search: $search, first: 20) {
      edges { node { ...GroupSummary } }
    }
  }
`);

export const JoinGroupMutation = graphql(`
  mutation JoinGroup($input: JoinGroupInput!) {
    joinGroup(input: $input) {
      group { id }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const ProgramFormQuery = graphql(`
  query ProgramForm($id: ID!) {
    program(id: $id) {
      id
      title
      description
      status
      questions { ...QuestionField }
    }
    viewer {
      signUps(first: 50) { edges { node { ...MySignUp } } }
    }
  }
`);

export const SignUpMutation = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      signUp { ...MySignUp }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const MySignUpsQuery = graphql(`
  query MySignUps {
    viewer {
      id
      signUps(first: 50) { edges { node { ...MySignUp } } }
    }
  }
`);

export const WithdrawSignUpMutation = graphql(`
  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {
    withdrawSignUp(input: $input) {
      signUp { ...MySignUp }
      userErrors { ...UserErrorFields }
    }
  }
`);
